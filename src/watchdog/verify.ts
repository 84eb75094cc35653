/**
 * Detection proves itself: "never blind while ready" (issue 20). Signals can go missing without
 * any error — a bus daemon without the right match rules delivers nothing, and medic used to say
 * `ready, detection: dbus` while crashes went unseen. So every round (`MEDIC_VERIFY_INTERVAL_MS`)
 * compares what systemd says with what medic believes (the tracker's snapshots, which only
 * signals update):
 *
 * - the active/sub state of EVERY watched unit, in one call (`ListUnitsByNames`) — a crash that
 *   leaves a unit failed or inactive shows here;
 * - the run identity (exit timestamp, NRestarts, invocation) of a rotating slice of units
 *   (`sliceSize` per round; three small property reads each when the source offers `identity`,
 *   a full read otherwise) — a crash systemd restarted by itself shows here, so every unit is
 *   fully checked once per ceil(units / sliceSize) rounds.
 *
 * A difference is only a suspect: systemd queues its PropertiesChanged signals while a read
 * answers at once, so the signal may still be on its way. After `graceMs` a suspect whose belief
 * did not change (no signal arrived for it) and that still differs from a fresh read is a MISSED
 * SIGNAL: the fresh snapshot is applied (translated and decided at once, as a signal would have
 * been) and it is returned, so the caller logs and counts it and, after repeated misses, falls
 * back to polling.
 */
import type { UnitStatus } from './unit-status.js';

export interface VerifySource {
  /** Active/sub state of many units in one call; units systemd does not know are left out. */
  states(units: string[]): Promise<Map<string, Pick<UnitStatus, 'activeState' | 'subState'>>>;
  /** A fresh full read of one unit. */
  read(unit: string): Promise<UnitStatus | undefined>;
  /**
   * Optional cheap read of what tells one run from the next (src/systemd/run-identity.ts);
   * undefined when it does not apply to the unit (then `read` is used).
   */
  identity?(
    unit: string,
  ): Promise<Pick<UnitStatus, 'invocationId' | 'nRestarts' | 'execMainExitMono'> | undefined>;
  /** What medic believes; a new object whenever a signal changed it. */
  believed(unit: string): UnitStatus | undefined;
  /** Applies a snapshot read from systemd (translated and decided like a signal's). */
  apply(unit: string, status: UnitStatus): void;
}

export interface MissedSignal {
  unit: string;
  believed: UnitStatus;
  actual: UnitStatus;
}

export interface VerifyOptions {
  /** How long a difference may be a signal still on its way (default 1000 ms). */
  graceMs?: number;
  /** Units read in full per round (default 32). */
  sliceSize?: number;
  /** Waits `ms` (the caller's clock). */
  sleep: (ms: number) => Promise<void>;
}

/**
 * True when `actual` shows a change a signal should have told medic about. A unit systemd
 * garbage-collected and loaded again (no invocation) is compared by state only: its reset
 * counters are not a change.
 */
export function missedChange(believed: UnitStatus, actual: UnitStatus): boolean {
  if (believed.activeState !== actual.activeState || believed.subState !== actual.subState) return true;
  if (actual.invocationId === '') return false;
  return (
    believed.invocationId !== actual.invocationId ||
    believed.execMainExitMono !== actual.execMainExitMono ||
    believed.nRestarts !== actual.nRestarts
  );
}

export class SignalVerifier {
  private cursor = 0;
  private readonly units: string[];

  constructor(
    private readonly src: VerifySource,
    units: string[],
    private readonly opts: VerifyOptions,
  ) {
    this.units = [...new Set(units)];
  }

  /** The next `sliceSize` units, wrapping around. */
  private slice(): string[] {
    const n = Math.min(this.opts.sliceSize ?? 32, this.units.length);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.units[(this.cursor + i) % this.units.length]!);
    this.cursor = (this.cursor + n) % Math.max(this.units.length, 1);
    return out;
  }

  /**
   * A slice unit's current status for the comparison: the believed snapshot with the states
   * just listed and a fresh run identity, or a full read when no cheap identity read applies.
   */
  private async sliceRead(
    unit: string,
    believed: UnitStatus,
    listed: Pick<UnitStatus, 'activeState' | 'subState'> | undefined,
  ): Promise<UnitStatus | undefined> {
    const id = listed ? await this.src.identity?.(unit) : undefined;
    if (!id || !listed) return this.src.read(unit);
    return { ...believed, ...listed, ...id };
  }

  /** One round; returns the signals found missing (already applied). */
  async round(): Promise<MissedSignal[]> {
    const before = new Map<string, UnitStatus>();
    for (const u of this.units) {
      const b = this.src.believed(u);
      if (b) before.set(u, b);
    }
    const suspects = new Set<string>();
    const states = await this.src.states(this.units);
    for (const [unit, s] of states) {
      const b = before.get(unit);
      if (b && (b.activeState !== s.activeState || b.subState !== s.subState)) suspects.add(unit);
    }
    for (const unit of this.slice()) {
      const b = before.get(unit);
      if (!b || suspects.has(unit)) continue;
      const actual = await this.sliceRead(unit, b, states.get(unit));
      if (actual && missedChange(b, actual)) suspects.add(unit);
    }
    if (suspects.size === 0) return [];
    await this.opts.sleep(this.opts.graceMs ?? 1000);
    const missed: MissedSignal[] = [];
    for (const unit of suspects) {
      const b = before.get(unit)!;
      if (this.src.believed(unit) !== b) continue; // a signal arrived: detection works
      const actual = await this.src.read(unit);
      if (!actual || this.src.believed(unit) !== b || !missedChange(b, actual)) continue;
      missed.push({ unit, believed: b, actual });
      this.src.apply(unit, actual);
    }
    return missed;
  }
}
