/**
 * The bench process's own stalls while it measures (issue 16's lease latency): its event-loop
 * delay (`monitorEventLoopDelay`) and its garbage collections (`PerformanceObserver` 'gc') over a
 * phase. A latency measured by a client whose loop stalled includes the stall: this says how much.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopStalls {
  /** Event-loop delay p99 / max, ms (10 ms resolution). */
  loopP99: number;
  loopMax: number;
  /** Collections, their summed and longest pause, ms. */
  gcs: number;
  gcMs: number;
  gcMaxMs: number;
}

/** Starts watching; the returned function stops and says what it saw. */
export function watchLoop(): () => LoopStalls {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const gc = { n: 0, ms: 0, max: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.n++;
      gc.ms += e.duration;
      gc.max = Math.max(gc.max, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return () => {
    h.disable();
    obs.disconnect();
    return {
      loopP99: h.percentile(99) / 1e6,
      loopMax: h.max / 1e6,
      gcs: gc.n,
      gcMs: gc.ms,
      gcMaxMs: gc.max,
    };
  };
}

export const describeStalls = (s: LoopStalls) =>
  `event loop delay p99 ${s.loopP99.toFixed(1)} ms, max ${s.loopMax.toFixed(1)} ms; ` +
  `${s.gcs} GCs, ${s.gcMs.toFixed(0)} ms in all, longest ${s.gcMaxMs.toFixed(1)} ms`;
