/**
 * The engine's edge for maintenance windows: which window applies to a service now (read from
 * the Clock's wall time; the answer itself is the pure `activeFor(windows, service, t)`), and
 * the one timer at the next window boundary. When a window stops applying to a service (it
 * ended, was cancelled or replaced) `onEnded` is called for that service, once, so the engine
 * re-evaluates every affected service at that moment (a tick through decide()).
 */

import { activeFor, type MaintenanceWindow, nextBoundary } from '../contract/maintenance/active.js';
import type { Clock, Timer } from '../core/clock.js';
import type { ActiveMaintenance } from '../core/maintenance.js';

/** Longest single wait: a wall-clock step or a far boundary is picked up within this. */
const MAX_WAIT_MS = 3600_000;

export class MaintenanceWatch {
  private windows: readonly MaintenanceWindow[] = [];
  /** The window id last seen applying to each service (with its mode). */
  private readonly seen = new Map<string, string>();
  private timer: Timer | null = null;
  private closed = false;

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    private readonly services: () => readonly string[],
    private readonly onEnded: (service: string, ended: string) => void,
  ) {}

  /** The window in force for `service` at wall time `wall` (null: none). */
  at(service: string, wall: number): ActiveMaintenance | null {
    return this.windows.length ? activeFor(this.windows, service, wall) : null;
  }

  list(): readonly MaintenanceWindow[] {
    return this.windows;
  }

  /** Replaces the windows (start-up, an ad hoc window added or cancelled) and re-evaluates. */
  set(windows: readonly MaintenanceWindow[]): void {
    this.windows = [...windows];
    this.check();
  }

  /** Compares every service's window with the last one seen; arms the next boundary. */
  check(): void {
    if (this.closed) return;
    const wall = this.clock.now();
    for (const name of this.services()) {
      const cur = this.at(name, wall);
      const key = cur ? `${cur.id}/${cur.mode}` : null;
      const prev = this.seen.get(name) ?? null;
      if (key) this.seen.set(name, key);
      else this.seen.delete(name);
      if (prev !== null && prev !== key) this.onEnded(name, prev);
    }
    this.arm(wall);
  }

  private arm(wall: number): void {
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.closed || this.windows.length === 0) return;
    const at = nextBoundary(this.windows, wall);
    const wait = at === null ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(0, at - wall));
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.check();
    }, wait);
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
