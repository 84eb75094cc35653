/**
 * The engine's edge for maintenance windows: which window applies to a service now (read from
 * the Clock's wall time; the answer itself is the pure `activeFor(windows, service, t)`), and
 * the one timer at the next window boundary. When a window stops applying to a service (it
 * ended, was cancelled or replaced) `onEnded` is called for that service, once, so the engine
 * re-evaluates every affected service at that moment (a tick through decide()).
 *
 * It also follows each window's spans (issue 18): `onSpan` hears once when a span of a window
 * covering any of the engine's services starts, and once when it ends — at its end, or earlier
 * when the window is cancelled or replaced (`how`). The engine audits them
 * (`maintenance_started` / `maintenance_ended`); spans already open in the audit log at start-up
 * are handed in with `seed()`, so a restart of medic inside a window does not start it again,
 * and a span that ended while medic was down is ended at the first check.
 */

import {
  activeFor,
  covers,
  type MaintenanceWindow,
  nextBoundary,
  spanOf,
} from '../contract/maintenance/active.js';
import type { Clock, Timer } from '../core/clock.js';
import type { ActiveMaintenance, MaintenanceMode } from '../core/maintenance.js';

/** One span of a window, as audited. */
export interface OpenSpan {
  id: string;
  name: string;
  mode: MaintenanceMode;
  start: number;
  end: number;
  /** The engine's services it covers (at its start). */
  services: string[];
  reason: string | null;
  notify: boolean;
}

export type SpanChange =
  | { kind: 'started'; span: OpenSpan }
  | { kind: 'ended'; span: OpenSpan; how: 'ended' | 'cancelled' | 'replaced' };

/** Longest single wait: a wall-clock step or a far boundary is picked up within this. */
const MAX_WAIT_MS = 3600_000;

export class MaintenanceWatch {
  private windows: readonly MaintenanceWindow[] = [];
  /** The window id last seen applying to each service (with its mode). */
  private readonly seen = new Map<string, string>();
  private timer: Timer | null = null;
  private closed = false;
  /** The spans open now, by window id. */
  private readonly open = new Map<string, OpenSpan>();

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    private readonly services: () => readonly string[],
    private readonly onEnded: (service: string, ended: string) => void,
    private readonly onSpan: (change: SpanChange) => void = () => {},
  ) {}

  /** Spans the audit log holds as started and not ended (before the first set()). */
  seed(spans: readonly OpenSpan[]): void {
    for (const s of spans) this.open.set(s.id, s);
  }

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
    this.spans(wall);
    this.arm(wall);
  }

  /** Ends the spans no longer in force, then starts the new ones (each told once). */
  private spans(wall: number): void {
    const names = this.services();
    const now = new Map<string, OpenSpan>();
    for (const w of this.windows) {
      const span = spanOf(w, wall);
      if (!span) continue;
      const services = names.filter((n) => covers(w, n));
      if (services.length === 0) continue;
      const { id, name, mode, reason, notify } = w;
      now.set(id, { id, name, mode, start: span.start, end: span.end, services, reason, notify });
    }
    for (const [id, span] of this.open) {
      const cur = now.get(id);
      if (cur && cur.start === span.start && cur.mode === span.mode) continue;
      this.open.delete(id);
      const listed = this.windows.some((w) => w.id === id);
      const how = wall >= span.end ? 'ended' : listed ? 'replaced' : 'cancelled';
      this.onSpan({ kind: 'ended', span, how });
    }
    for (const [id, span] of now) {
      if (this.open.has(id)) continue;
      this.open.set(id, span);
      this.onSpan({ kind: 'started', span });
    }
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
