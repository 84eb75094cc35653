/**
 * Fallback detection when D-Bus is unavailable: `systemctl show` for all watched units every
 * `intervalMs` (MEDIC_POLL_INTERVAL_MS), the same `translate` as the D-Bus path. Polls never
 * overlap; a failed poll is logged and retried at the next interval.
 */
import { systemClock } from '../clock/clock.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log.js';
import type { Scope } from '../systemd/connection.js';
import { showUnits } from '../systemd/systemctl.js';
import { type MonitorSink, type UnitMonitor, UnitTracker } from './monitor.js';
import type { UnitStatus } from './unit-status.js';

export class PollingMonitor implements UnitMonitor {
  readonly detection = 'polling' as const;
  readonly tracker: UnitTracker;
  private units: string[] = [];
  private timer: Timer | null = null;
  private stopped = false;
  private inFlight: Promise<void> | null = null;
  /** Last poll error, or null when the last poll succeeded. */
  lastError: string | null = null;

  constructor(
    private readonly scope: Scope,
    private readonly intervalMs: number,
    sink: MonitorSink,
    private readonly logger?: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.tracker = new UnitTracker(sink, clock);
  }

  private async poll(): Promise<void> {
    try {
      const statuses = await showUnits(this.scope, this.units);
      for (const [unit, status] of statuses) if (!this.stopped) this.tracker.apply(unit, status);
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger?.warn({ err: this.lastError }, 'systemctl show failed; retrying at the next poll');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.inFlight = this.poll().finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    }, this.intervalMs);
  }

  async start(units: string[]): Promise<void> {
    this.units = [...new Set(units)];
    await this.poll();
    this.schedule();
  }

  status(unit: string): UnitStatus | undefined {
    return this.tracker.get(unit);
  }

  async refresh(unit: string): Promise<UnitStatus | undefined> {
    return (await showUnits(this.scope, [unit])).get(unit);
  }

  onLost(): void {
    // Polling has no connection to lose; failed polls are retried.
  }

  async stop(handOverTo?: UnitTracker): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    // A poll in flight applies nothing once stopped; wait for it so the hand-over is final.
    await this.inFlight;
    if (handOverTo) this.tracker.handOver(handOverTo);
    this.tracker.clear();
  }
}
