/**
 * Event-driven detection: the manager's `PropertiesChanged` signals, applied to per-unit
 * property bags, translated on every change. A crash reaches the sink within the time systemd
 * takes to send two signals (Service, then Unit interface) — milliseconds.
 *
 * Through a bus daemon a unit's signals arrive only once its match rule is in place, so the rules
 * are added before the first read (a change in between is in the read or in a signal).
 */
import { systemClock } from '../../clock/clock.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log.js';
import {
  ALL_UNITS_MATCH,
  MAX_UNIT_MATCHES,
  PROPS_IFACE,
  type SignalMessage,
  type SystemdConnection,
  unitMatch,
  unitObjectPath,
} from '../../systemd/connection.js';
import { readUnitProperties, type UnitProperties } from '../../systemd/properties.js';
import { readRunIdentity } from '../../systemd/run-identity.js';
import { bagOf, pickProps, type RawProps, SystemdUnits, statusFromProps } from '../../systemd/units.js';
import { type MonitorSink, type UnitMonitor, UnitTracker } from '../monitor.js';
import type { UnitStatus } from '../unit-status.js';
import type { VerifySource } from '../verify.js';

export class DbusMonitor implements UnitMonitor {
  readonly detection = 'dbus' as const;
  readonly units: SystemdUnits;
  readonly tracker: UnitTracker;
  private readonly pathToUnit = new Map<string, string>();
  private readonly unitToPath = new Map<string, string>();
  private readonly props = new Map<string, RawProps>();
  private readonly lostListeners: ((reason: string) => void)[] = [];
  private stopped = false;
  /** The properties read at start, until the first drift check takes them (see takeInitialRead). */
  private initialRead: Map<string, UnitProperties> | null = null;

  constructor(
    readonly conn: SystemdConnection,
    sink: MonitorSink,
    private readonly logger?: Logger,
    clock: Clock = systemClock,
  ) {
    this.units = new SystemdUnits(conn);
    this.tracker = new UnitTracker(sink, clock);
    conn.onSignal((msg) => this.onSignal(msg));
    conn.onClose((reason) => {
      if (this.stopped) return;
      this.logger?.warn({ reason }, 'D-Bus connection to systemd lost');
      for (const l of this.lostListeners) l(reason);
    });
  }

  private onSignal(msg: SignalMessage): void {
    if (msg.interface !== PROPS_IFACE || msg.member !== 'PropertiesChanged') return;
    const unit = this.pathToUnit.get(msg.path);
    if (!unit) return;
    const bag = this.props.get(unit);
    // Signals sent before the initial GetAll reply are older than it: dropping them is safe.
    if (!bag) return;
    const [, changed] = msg.body as [string, Record<string, { signature: string; value: unknown }>];
    const picked = pickProps(changed);
    if (Object.keys(picked).length === 0) return;
    Object.assign(bag, picked);
    this.tracker.apply(unit, statusFromProps(bag));
  }

  private track(props: UnitProperties): void {
    const bag = bagOf(props);
    this.props.set(props.unit, bag);
    this.tracker.apply(props.unit, statusFromProps(bag));
  }

  /**
   * Reads every unit in one bulk read (src/systemd/properties.ts): object paths first, so
   * signals are matched from then on, and each unit's snapshot as soon as its reply arrives.
   */
  async start(units: string[]): Promise<void> {
    const names = [...new Set(units)];
    if (this.conn.viaDaemon) {
      // Object paths are systemd's escaping of the name, so the rules can precede the read.
      if (names.length > MAX_UNIT_MATCHES) await this.conn.addMatch(ALL_UNITS_MATCH);
      else for (const u of names) await this.conn.addMatch(unitMatch(unitObjectPath(u)));
    }
    const unexpected: string[] = [];
    this.initialRead = await readUnitProperties(this.conn, names, {
      onPaths: (paths) => {
        for (const [unit, path] of paths) {
          this.pathToUnit.set(path, unit);
          this.unitToPath.set(unit, path);
          if (path !== unitObjectPath(unit)) unexpected.push(path);
        }
      },
      onUnit: (props) => this.track(props),
    });
    // Never seen; if systemd ever named a unit differently, its rule follows (a read covers the gap).
    if (this.conn.viaDaemon && names.length <= MAX_UNIT_MATCHES) {
      for (const path of unexpected) await this.conn.addMatch(unitMatch(path));
    }
  }

  /**
   * The full properties read at start, once: the first drift check right after start uses them
   * instead of reading every unit again (null when taken already or not covering `units`).
   */
  takeInitialRead(units: readonly string[]): Map<string, UnitProperties> | null {
    const read = this.initialRead;
    this.initialRead = null;
    return read && units.every((u) => read.has(u)) ? read : null;
  }

  status(unit: string): UnitStatus | undefined {
    return this.tracker.get(unit);
  }

  async refresh(unit: string): Promise<UnitStatus | undefined> {
    const props = (await readUnitProperties(this.conn, [unit])).get(unit);
    return props && statusFromProps(bagOf(props));
  }

  /**
   * A fresh read that also replaces the unit's property bag (signals then merge into current
   * values); the tracker's snapshot is left alone — that is medic's belief, which only signals
   * and `verifySource().apply` change. Replies come in order after every earlier signal.
   */
  private async reread(unit: string): Promise<UnitStatus | undefined> {
    const props = (await readUnitProperties(this.conn, [unit])).get(unit);
    if (!props) return undefined;
    const bag = bagOf(props);
    this.props.set(unit, bag);
    return statusFromProps(bag);
  }

  /** What the signal verifier (verify.ts) reads and corrects, over this connection. */
  verifySource(): VerifySource {
    return {
      states: (units) => this.units.listStates(units),
      read: (unit) => this.reread(unit),
      identity: async (unit) => {
        const path = this.unitToPath.get(unit);
        // Only services have the Service interface (NRestarts, the main process's exit).
        return path && unit.endsWith('.service') ? readRunIdentity(this.conn, path) : undefined;
      },
      believed: (unit) => this.tracker.get(unit),
      apply: (unit, status) => {
        if (!this.stopped) this.tracker.apply(unit, status);
      },
    };
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async stop(handOverTo?: UnitTracker): Promise<void> {
    this.stopped = true;
    if (handOverTo) this.tracker.handOver(handOverTo);
    this.tracker.clear();
    this.conn.close();
  }
}
