/**
 * The clock module: the only place besides the composition root that reads the system clock or
 * arms a real timer (checked by test/architecture/clock.test.ts). `systemClock` for production,
 * `SimulatedClock` for tests: time moves only when the test says so.
 */
import type { Clock, Timer } from '../core/clock.js';

export type { Clock, Timer } from '../core/clock.js';
export { sleep } from '../core/clock.js';

/** Wall-clock time (epoch ms) and real timers that never fire early and do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Node caps delays at 2^31-1 ms; longer waits re-arm until due.
    const MAX = 2_147_483_647;
    const due = Date.now() + Math.max(0, ms);
    let handle: NodeJS.Timeout;
    const arm = (delay: number) => {
      handle = setTimeout(() => {
        const left = due - Date.now();
        // Re-arm when not yet due: long waits, and timers that fire a little early.
        if (left > 0) arm(Math.min(left, MAX));
        else fn();
      }, delay);
      handle.unref();
    };
    arm(Math.min(Math.max(0, ms), MAX));
    return { cancel: () => clearTimeout(handle) };
  },
  clearTimeout(timer) {
    timer?.cancel();
  },
};

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A manual clock: time moves only through `advance`/`advanceTo`, which fire due timers in
 * order of due time (ties: scheduling order), each with `now()` equal to its due time.
 * Timers scheduled while advancing fire in the same call if they fall due within it.
 */
export class SimulatedClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Scheduled[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Scheduled = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  clearTimeout(timer: Timer | null | undefined): void {
    timer?.cancel();
  }

  /** Moves time forward by `ms`, firing due timers. */
  advance(ms: number): void {
    this.advanceTo(this.t + Math.max(0, ms));
  }

  /** Moves time to `at` (never backwards), firing due timers in order. */
  advanceTo(at: number): void {
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: Scheduled | undefined;
      for (const x of this.timers) {
        if (x.at <= at && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
      next.cancelled = true;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = Math.max(this.t, at);
  }

  /** Timers not yet fired or cancelled (for tests). */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}
