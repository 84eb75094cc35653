/**
 * The one Clock of medic (XState's Clock shape): wall time plus timers. Everything that reads
 * time or waits takes a Clock — engine, watchdog timers, probes, polling, the drift loop, the
 * policy watcher, store, API and bot — so a test can run all of medic on a `SimulatedClock`
 * (src/clock/clock.ts) and production on `systemClock`. src/core itself never reads it: `now`
 * is an argument of decide().
 *
 * Two dimensions (issue 21): `now()` is wall time — recorded in events, shown to people, kept
 * across restarts — and may step; `monotonic()` never steps and measures every delay, timer and
 * window while medic runs (the engine's timeline, src/engine/timeline.ts). Callers that only
 * need wall time take `Pick<Clock, 'now'>`.
 */

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time, epoch milliseconds: recorded in events and shown to people; may step. */
  now(): number;
  /** Milliseconds on a clock that never steps (CLOCK_MONOTONIC); its zero is `monotonicOrigin`'s. */
  monotonic(): number;
  /**
   * Names the monotonic clock's zero (Linux: the boot id): readings under the same origin are
   * comparable, in any process. null when unknown.
   */
  readonly monotonicOrigin: string | null;
  /**
   * Calls `fn` once, no earlier than `ms` of monotonic time from now (a wall-clock step moves
   * no timer). Never keeps the process alive by itself.
   */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Cancels a timer (null/undefined and fired timers are fine). */
  clearTimeout(timer: Timer | null | undefined): void;
}

/** Resolves after `ms` of this clock's time (simulated time under a SimulatedClock). */
export function sleep(clock: Pick<Clock, 'setTimeout'>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
