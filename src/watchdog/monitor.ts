/**
 * The common shape of every detection path (D-Bus, polling, the process backend) and the
 * per-unit bookkeeping they share: keep the last snapshot, translate changes, emit observations.
 */
import { systemClock } from '../clock/clock.js';
import type { Clock, Timer } from '../core/clock.js';
import { type Observation, translate, type UnitStatus } from './unit-status.js';

export type Detection = 'dbus' | 'polling' | 'process';

export interface MonitorSink {
  /** An input for decide() about `unit`, produced by a status change. */
  observation(unit: string, obs: Observation): void;
  /** Every new snapshot (after the observations it produced). Optional. */
  status?(unit: string, status: UnitStatus, prev: UnitStatus | undefined): void;
}

export interface UnitMonitor {
  readonly detection: Detection;
  /** Reads the initial state of `units` and starts following them. */
  start(units: string[]): Promise<void>;
  /** Last known status of a unit (undefined before the first read). */
  status(unit: string): UnitStatus | undefined;
  /** Reads the unit's status now (bypassing the cache); used by crash-safety reconciliation. */
  refresh(unit: string): Promise<UnitStatus | undefined>;
  /** Called once when the path stops working (e.g. the D-Bus peer went away). */
  onLost(listener: (reason: string) => void): void;
  /**
   * Stops following units. With `handOverTo`, the last snapshots, reported exits and pending
   * settles move to that tracker (a detection switch), so the next path neither replays nor
   * misses what happened in between.
   */
  stop(handOverTo?: UnitTracker): Promise<void>;
}

function same(a: UnitStatus, b: UnitStatus): boolean {
  for (const k of Object.keys(a) as (keyof UnitStatus)[]) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * How long an exit of a unit with `Restart=` may stay undecided (failed, not yet auto-restart)
 * before it is reported as a crash medic must handle. systemd moves on within a millisecond.
 */
export const SETTLE_MS = 100;

/** Snapshots per unit + `translate`; identical snapshots (duplicate signals) are dropped. */
export class UnitTracker {
  private readonly snapshots = new Map<string, UnitStatus>();
  private readonly reportedExit = new Map<string, number>();
  private readonly settleTimers = new Map<string, Timer>();

  constructor(
    private readonly sink: MonitorSink,
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
  ) {}

  get(unit: string): UnitStatus | undefined {
    return this.snapshots.get(unit);
  }

  apply(unit: string, next: UnitStatus, final = false): void {
    const prev = this.snapshots.get(unit);
    if (prev && same(prev, next) && !final) return;
    this.clock.clearTimeout(this.settleTimers.get(unit));
    this.settleTimers.delete(unit);
    // A unit garbage-collected by systemd comes back with NRestarts 0: a new baseline, not a change.
    const base = prev && next.nRestarts < prev.nRestarts ? { ...prev, nRestarts: next.nRestarts } : prev;
    const r = translate(base, next, this.reportedExit.get(unit) ?? 0, final);
    this.snapshots.set(unit, next);
    this.reportedExit.set(unit, r.reportedExit);
    if (r.pending) this.settle(unit, next);
    for (const obs of r.observations) this.sink.observation(unit, obs);
    if (!final) this.sink.status?.(unit, next, prev);
  }

  /** Re-translates `snap` as final after SETTLE_MS unless a newer snapshot arrived. */
  private settle(unit: string, snap: UnitStatus): void {
    const timer = this.clock.setTimeout(() => {
      this.settleTimers.delete(unit);
      if (this.snapshots.get(unit) === snap) this.apply(unit, snap, true);
    }, SETTLE_MS);
    this.settleTimers.set(unit, timer);
  }

  /**
   * Moves everything this tracker knows to `next` (switching detection paths): the next path's
   * first snapshot of a unit is then translated against ours, so an exit we reported is not
   * reported again and one that happened in between is. Our pending settles continue there.
   */
  handOver(next: UnitTracker): void {
    for (const [unit, snap] of this.snapshots) next.snapshots.set(unit, snap);
    for (const [unit, exit] of this.reportedExit) next.reportedExit.set(unit, exit);
    for (const unit of this.settleTimers.keys()) {
      const snap = this.snapshots.get(unit);
      if (snap) next.settle(unit, snap);
    }
    this.clear();
  }

  /** Cancels pending settle timers. */
  clear(): void {
    for (const t of this.settleTimers.values()) this.clock.clearTimeout(t);
    this.settleTimers.clear();
  }
}
