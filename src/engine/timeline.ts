/**
 * The engine's timeline: the monotonic clock, read as epoch-like milliseconds.
 *
 * `engine time = base + clock.monotonic()`, with `base` chosen when the timeline is created so
 * that engine time equals wall time then. decide() runs on engine time, so cooldowns, backoff,
 * grace, hold TTLs, the circuit's open period and the restart window measure elapsed time and
 * a wall-clock step changes none of them. Whatever leaves the engine (audit events, views, the
 * stored state) is converted to wall time with the current offset `wall − engine`: a step
 * moves those displayed times with the clock, never the wait itself.
 *
 * A step is detected when that offset moves by more than `STEP_THRESHOLD_MS` between two
 * readings (clock slewing by NTP moves it by far less): logged once, counted, and kept for
 * /readyz. The engine reads the timeline for every decision; `watch()` adds a periodic reading
 * so a step is noticed while nothing happens.
 *
 * Across a restart of medic the monotonic reading only carries over within one boot (same
 * `monotonicOrigin`); see `elapsedWhileDown` for how a stored state is re-based.
 */
import type { ClockDetails } from '../core/readiness.js';
import type { Logger } from '../log.js';
import type { Clock } from './types.js';

/** An offset change above this is a step (ms); smaller ones are slewing or reading jitter. */
export const STEP_THRESHOLD_MS = 3000;

/** Where a stored state stood: wall and monotonic time of its commit. */
export interface ClockAnchor {
  /** Wall time of the commit (epoch ms). */
  wallAt: number;
  /** Monotonic reading of the commit, or null (stored before anchors existed). */
  monoAt: number | null;
  /** The monotonic clock's origin then (boot id), or null. */
  monoOrigin: string | null;
}

/** One detected step of the wall clock against the monotonic clock. */
export interface ClockStep {
  /** Wall time when it was noticed (after the step). */
  at: number;
  /** How far the wall clock jumped (ms; negative = backwards). */
  byMs: number;
  /** True when it happened while medic was not running (found on start). */
  whileDown: boolean;
}

export interface ClockReport {
  steps: number;
  lastStep: ClockStep | null;
}

/** One simultaneous reading of both clocks, plus engine time. */
export interface Reading {
  wall: number;
  mono: number;
  /** Engine time: base + mono. */
  engine: number;
}

/**
 * How much time passed between `anchor` and `now`, counted conservatively (docs/CORE.md,
 * "Time"): exactly, on the monotonic clock, when both readings share an origin (medic restarted
 * within one boot); otherwise the wall-clock difference, but never less than 0 and never more
 * than the current monotonic reading (Linux: time since boot, a lower bound of the downtime
 * when the machine rebooted); 0 when the origin is unknown. Erring short means restarts stay
 * counted a little longer and waits resume where they stood, never longer than they were.
 */
export function elapsedWhileDown(anchor: ClockAnchor, now: Reading, origin: string | null): number {
  if (anchor.monoAt !== null && anchor.monoOrigin !== null && anchor.monoOrigin === origin) {
    return Math.max(0, now.mono - anchor.monoAt);
  }
  if (origin === null) return 0;
  return Math.min(Math.max(0, now.wall - anchor.wallAt), Math.max(0, now.mono));
}

export class Timeline {
  private readonly base: number;
  /** The offset (wall − engine) at the last reading. */
  private ref: number;
  private count = 0;
  private last: ClockStep | null = null;
  private readonly listeners: ((step: ClockStep) => void)[] = [];

  constructor(
    readonly clock: Clock,
    private readonly log?: Logger,
  ) {
    this.base = clock.now() - clock.monotonic();
    this.ref = 0;
  }

  /** Reads both clocks once; notes a step if the offset moved. */
  read(): Reading {
    const wall = this.clock.now();
    const mono = this.clock.monotonic();
    const r = { wall, mono, engine: this.base + mono };
    const offset = wall - r.engine;
    if (Math.abs(offset - this.ref) > STEP_THRESHOLD_MS) this.noteStep(offset - this.ref, wall, false);
    this.ref = offset;
    return r;
  }

  /** Engine time now. */
  now(): number {
    return this.read().engine;
  }

  /** Engine time of a monotonic reading. */
  engineAt(mono: number): number {
    return this.base + mono;
  }

  /** The anchor to store with a state committed at reading `r`. */
  anchor(r: Reading): ClockAnchor {
    return { wallAt: r.wall, monoAt: r.mono, monoOrigin: this.clock.monotonicOrigin };
  }

  /**
   * The shift that moves a state stored in wall time at `anchor` onto this timeline (add it to
   * every time in the state): its age at the commit is kept, plus the time elapsed since,
   * counted by `elapsedWhileDown`.
   */
  shiftFromStored(anchor: ClockAnchor, r: Reading): number {
    return r.engine - elapsedWhileDown(anchor, r, this.clock.monotonicOrigin) - anchor.wallAt;
  }

  /**
   * Compares the newest stored anchor with now: within one boot, a wall clock that moved more
   * or less than the monotonic clock did while medic was down stepped (noted once).
   */
  checkSinceStored(anchor: ClockAnchor, r: Reading): void {
    if (anchor.monoAt === null || anchor.monoOrigin === null) return;
    if (anchor.monoOrigin !== this.clock.monotonicOrigin) return;
    const by = r.wall - anchor.wallAt - (r.mono - anchor.monoAt);
    if (Math.abs(by) > STEP_THRESHOLD_MS) this.noteStep(by, r.wall, true);
  }

  /** Calls `fn` for every step noticed from now on. */
  onStep(fn: (step: ClockStep) => void): void {
    this.listeners.push(fn);
  }

  report(): ClockReport {
    return { steps: this.count, lastStep: this.last };
  }

  /** The report as /readyz shows it (times as ISO strings for people). */
  details(): ClockDetails {
    const last = this.last;
    return {
      steps: this.count,
      lastStep: last
        ? { at: new Date(last.at).toISOString(), byMs: last.byMs, whileDown: last.whileDown }
        : null,
    };
  }

  /** Reads the clocks every `intervalMs` until the returned function is called. */
  watch(intervalMs: number): () => void {
    let timer: { cancel(): void } | null = null;
    const loop = () => {
      this.read();
      timer = this.clock.setTimeout(loop, intervalMs);
    };
    timer = this.clock.setTimeout(loop, intervalMs);
    return () => timer?.cancel();
  }

  private noteStep(byMs: number, at: number, whileDown: boolean): void {
    const step = { at, byMs, whileDown };
    this.count++;
    this.last = step;
    this.log?.warn(
      { clockStepMs: byMs, whileDown },
      `wall clock stepped ${byMs > 0 ? 'forward' : 'back'} by ${(Math.abs(byMs) / 1000).toFixed(1)} s` +
        `${whileDown ? ' while medic was down' : ''}; delays and windows keep running on the monotonic clock`,
    );
    for (const fn of this.listeners) fn(step);
  }
}
