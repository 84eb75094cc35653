/**
 * The clock module: the only place besides the composition root that reads the system clock or
 * arms a real timer (checked by test/architecture/clock.test.ts). `systemClock` for production,
 * `SimulatedClock` for tests: time moves only when the test says so.
 *
 * A Clock has two dimensions (issue 21). `now()` is the wall clock (epoch ms): what is recorded
 * and shown to people, and what survives a restart of medic. `monotonic()` never steps: every
 * delay, timer and window is measured on it while medic runs, so an NTP correction, a resumed VM
 * or an operator fixing the clock neither delays a restart nor empties the restart window.
 * `setTimeout` waits monotonic time.
 */
import { readFileSync } from 'node:fs';
import type { Clock, Timer } from '../core/clock.js';

export type { Clock, Timer } from '../core/clock.js';
export { sleep } from '../core/clock.js';

/** Node caps timer delays at 2^31-1 ms; longer waits re-arm until due. */
const MAX_DELAY = 2_147_483_647;

/** CLOCK_MONOTONIC in whole ms (Linux: time since boot, not counting suspend). */
const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

let bootId: string | null | undefined;
/** Linux's boot id: CLOCK_MONOTONIC readings are comparable across processes of one boot. */
function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * Wall-clock time (epoch ms), CLOCK_MONOTONIC, and real timers that never fire early (on the
 * monotonic clock, whatever the wall clock does) and do not keep the process alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: monotonicMs,
  get monotonicOrigin() {
    return readBootId();
  },
  setTimeout(fn, ms) {
    const due = monotonicMs() + Math.max(0, ms);
    let handle: NodeJS.Timeout;
    const arm = (delay: number) => {
      handle = setTimeout(() => {
        const left = due - monotonicMs();
        // Re-arm when not yet due: long waits, and timers that fire a little early.
        if (left > 0) arm(Math.min(left, MAX_DELAY));
        else fn();
      }, delay);
      handle.unref();
    };
    arm(Math.min(Math.max(0, ms), MAX_DELAY));
    return { cancel: () => clearTimeout(handle) };
  },
  clearTimeout(timer) {
    timer?.cancel();
  },
};

interface Scheduled {
  /** Due time on the monotonic clock. */
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export interface SimulatedClockOptions {
  /** Start of the monotonic clock (default: the wall start, so both read alike until a step). */
  monotonic?: number;
  /** Origin of the monotonic clock (default 'simulated': every SimulatedClock is one "boot"). */
  origin?: string | null;
}

/**
 * A manual clock with independent wall and monotonic time. Time moves only through
 * `advance`/`advanceTo`, which move both and fire due timers in order of due time (ties:
 * scheduling order), each with both clocks at its due time. Timers scheduled while advancing
 * fire in the same call if they fall due within it. `stepWall` steps the wall clock alone (an
 * NTP step): no timer fires, the monotonic clock does not move. `reboot` starts a new monotonic
 * clock (another origin), as a reboot of the machine does.
 */
export class SimulatedClock implements Clock {
  private mono: number;
  /** wall − monotonic; changes only by a step. */
  private offset: number;
  private origin: string | null;
  private seq = 0;
  private timers: Scheduled[] = [];

  constructor(start = Date.UTC(2026, 0, 1), opts: SimulatedClockOptions = {}) {
    this.mono = opts.monotonic ?? start;
    this.offset = start - this.mono;
    this.origin = opts.origin === undefined ? 'simulated' : opts.origin;
  }

  now(): number {
    return this.mono + this.offset;
  }

  monotonic(): number {
    return this.mono;
  }

  get monotonicOrigin(): string | null {
    return this.origin;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Scheduled = { at: this.mono + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
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

  /** Moves both clocks forward by `ms`, firing due timers. */
  advance(ms: number): void {
    const to = this.mono + Math.max(0, ms);
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: Scheduled | undefined;
      for (const x of this.timers) {
        if (x.at <= to && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
      next.cancelled = true;
      this.mono = Math.max(this.mono, next.at);
      next.fn();
    }
    this.mono = Math.max(this.mono, to);
  }

  /** Moves both clocks until the wall clock reads `at` (never backwards), firing due timers. */
  advanceTo(at: number): void {
    this.advance(at - this.now());
  }

  /** Steps the wall clock by `ms` (either sign); the monotonic clock and the timers stay. */
  stepWall(ms: number): void {
    this.offset += ms;
  }

  /**
   * A reboot: the monotonic clock restarts at `monotonic` under a new origin and every pending
   * timer is dropped (the process that armed it is gone). `downMs` of wall time pass meanwhile.
   */
  reboot(opts: { downMs: number; monotonic?: number; origin?: string }): void {
    const wall = this.now() + Math.max(0, opts.downMs);
    this.timers = [];
    this.mono = opts.monotonic ?? 0;
    this.offset = wall - this.mono;
    this.origin = opts.origin ?? `${this.origin ?? 'simulated'}+`;
  }

  /** Monotonic ms until the earliest pending timer is due (0 if overdue), or null if none. */
  nextDueIn(): number | null {
    let at: number | null = null;
    for (const x of this.timers) if (!x.cancelled && (at === null || x.at < at)) at = x.at;
    return at === null ? null : Math.max(0, at - this.mono);
  }

  /** Timers not yet fired or cancelled (for tests). */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}
