/**
 * The one Clock of medic (XState's Clock shape): wall time plus timers. Everything that reads
 * time or waits takes a Clock — engine, watchdog timers, probes, polling, the drift loop, the
 * policy watcher, store, API and bot — so a test can run all of medic on a `SimulatedClock`
 * (src/clock/clock.ts) and production on `systemClock`. src/core itself never reads it: `now`
 * is an argument of decide().
 *
 * Growth path: an independent monotonic reading (`monotonic(): number`, for delays and
 * windows, while `now()` stays the recorded wall time) is one more method here and one more
 * counter in SimulatedClock; callers that only need `now()` take `Pick<Clock, 'now'>`.
 */

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
  /** Calls `fn` once, no earlier than `ms` from now. Never keeps the process alive by itself. */
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
