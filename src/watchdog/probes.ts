/**
 * Health probes, one loop per service: an HTTP GET of the contract's `health.url` (2xx = ok,
 * anything else or no answer within `timeoutMs` = failed), or — for services without `health` —
 * the unit's state from the monitor (active = ok, failed = failed, in transition = no verdict).
 *
 * A probe never overlaps the previous one of the same service: the first runs at start, each
 * next one `intervalSec` after the previous finished. Unit-state verdicts are synchronous reads
 * and share one round per `stateIntervalMs` for all state-only services. Results go to `report` as probe_ok / probe_failed.
 */

import { systemClock } from '../clock/clock.js';
import type { ContractHealth } from '../contract/types.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Input } from '../core/types.js';
import type { Logger } from '../log.js';
import { stateVerdict, type UnitStatus } from './unit-status.js';

export type ProbeInput = Extract<Input, { type: 'probe_ok' } | { type: 'probe_failed' }>;

export interface ProbeTarget {
  service: string;
  unit: string;
  health?: ContractHealth;
}

export interface ProbeOptions {
  targets: ProbeTarget[];
  /** Unit state lookup for services without an HTTP health check. */
  unitStatus(unit: string): UnitStatus | undefined;
  report(service: string, input: ProbeInput, data: Record<string, unknown>): void;
  /** Interval for state-only services (default 10000 ms). */
  stateIntervalMs?: number;
  /** Duration (seconds) and result of every HTTP probe (for metrics). */
  observe?: (service: string, seconds: number, ok: boolean) => void;
  logger?: Logger;
  /** medic's clock: probe intervals wait on it (default: the system clock). */
  clock?: Clock;
}

/** One HTTP probe: ok on 2xx; otherwise the status, the timeout or the connection error. */
export async function httpProbe(
  health: ContractHealth,
): Promise<{ ok: boolean; detail: string; durationMs: number }> {
  const started = performance.now();
  try {
    const res = await fetch(health.url, {
      signal: AbortSignal.timeout(health.timeoutMs),
      redirect: 'manual',
    });
    // Drain the body so the socket is released; a hung body is bounded by the same signal.
    await res.arrayBuffer().catch(() => undefined);
    const durationMs = performance.now() - started;
    return res.status >= 200 && res.status < 300
      ? { ok: true, detail: `HTTP ${res.status}`, durationMs }
      : { ok: false, detail: `HTTP ${res.status}`, durationMs };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const detail =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `timeout after ${health.timeoutMs} ms`
        : `connection failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    return { ok: false, detail, durationMs: performance.now() - started };
  }
}

/** Timer key of the shared state-probe round (service names cannot contain a space). */
const STATE_ROUND = ' state round';

export class Prober {
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;

  private readonly clock: Clock;

  constructor(private readonly opts: ProbeOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  private async once(t: ProbeTarget): Promise<void> {
    if (t.health) {
      const r = await httpProbe(t.health);
      if (this.stopped) return;
      this.opts.observe?.(t.service, r.durationMs / 1000, r.ok);
      const data = {
        probe: 'http',
        url: t.health.url,
        detail: r.detail,
        durationMs: Math.round(r.durationMs),
      };
      this.opts.report(
        t.service,
        r.ok ? { type: 'probe_ok' } : { type: 'probe_failed', detail: r.detail },
        data,
      );
      return;
    }
    this.stateOnce(t);
  }

  /** A unit-state verdict: synchronous (the monitor holds the latest state). */
  private stateOnce(t: ProbeTarget): void {
    const status = this.opts.unitStatus(t.unit);
    const verdict = stateVerdict(status);
    if (verdict === null || this.stopped) return;
    const detail = `unit ${status!.activeState}/${status!.subState}`;
    this.opts.report(t.service, verdict === 'ok' ? { type: 'probe_ok' } : { type: 'probe_failed', detail }, {
      probe: 'systemd',
      detail,
    });
  }

  /**
   * All state-only services share one timer: their verdicts are synchronous reads, so one
   * round per interval replaces one timer per unit (500 units: 0.1 wake-ups/s instead of 50).
   */
  private scheduleStateRound(targets: ProbeTarget[], delayMs: number): void {
    if (this.stopped || targets.length === 0) return;
    const timer = this.clock.setTimeout(() => {
      for (const t of targets) {
        try {
          this.stateOnce(t);
        } catch (err) {
          this.opts.logger?.error({ err, service: t.service }, 'probe crashed');
        }
      }
      this.scheduleStateRound(targets, this.opts.stateIntervalMs ?? 10_000);
    }, delayMs);
    this.timers.set(STATE_ROUND, timer);
  }

  private schedule(t: ProbeTarget, delayMs: number): void {
    if (this.stopped) return;
    const timer = this.clock.setTimeout(() => {
      const p = this.once(t)
        .catch((err) => this.opts.logger?.error({ err, service: t.service }, 'probe crashed'))
        .finally(() => {
          this.running.delete(t.service);
          this.schedule(t, this.intervalMs(t));
        });
      this.running.set(t.service, p);
    }, delayMs);
    this.timers.set(t.service, timer);
  }

  private intervalMs(t: ProbeTarget): number {
    return t.health!.intervalSec * 1000;
  }

  start(): void {
    this.stopped = false;
    // The first round runs at once: a unit found failed at start needs no extra interval.
    for (const t of this.opts.targets) if (t.health) this.schedule(t, 0);
    this.scheduleStateRound(
      this.opts.targets.filter((t) => !t.health),
      0,
    );
  }

  /** Stops scheduling and waits for probes in flight (their results are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running.values());
  }
}
