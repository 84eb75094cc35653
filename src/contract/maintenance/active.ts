/**
 * "Is service X in a maintenance window at instant t, and when does it end?" — a pure function
 * of (windows, t), so the engine can ask it with its Clock's reading and hand decide() the
 * answer (core/maintenance.ts). Windows are the contract's recurring ones and the ad hoc ones
 * from the store, in one list.
 */
import type { ActiveMaintenance, MaintenanceMode } from '../../core/maintenance.js';
import type { Schedule } from './schedule.js';
import { nextSpanAfter, type Span, spanAt } from './window.js';

export interface MaintenanceWindow {
  /** `contract:<name>` or `adhoc:<id>`. */
  id: string;
  name: string;
  services: string[] | 'all';
  mode: MaintenanceMode;
  notify: boolean;
  reason: string | null;
  when:
    | { kind: 'schedule'; schedule: Schedule; timezone: string }
    /** Ad hoc: [from, until) in epoch ms. */
    | { kind: 'fixed'; from: number; until: number };
}

export function covers(w: MaintenanceWindow, service: string): boolean {
  return w.services === 'all' || w.services.includes(service);
}

/** The span of `w` containing `t`, or null. */
export function spanOf(w: MaintenanceWindow, t: number): Span | null {
  if (w.when.kind === 'fixed') {
    return w.when.from <= t && t < w.when.until ? { start: w.when.from, end: w.when.until } : null;
  }
  return spanAt(w.when.schedule, w.when.timezone, t);
}

/**
 * The window in force for `service` at `t`, or null. When several apply, `hold` wins over
 * `shadow` (it is the stronger promise) and, within a mode, the one ending last; `endsAt` is
 * that window's end.
 */
export function activeFor(
  windows: readonly MaintenanceWindow[],
  service: string,
  t: number,
): ActiveMaintenance | null {
  let best: ActiveMaintenance | null = null;
  for (const w of windows) {
    if (!covers(w, service)) continue;
    const span = spanOf(w, t);
    if (!span) continue;
    const cand: ActiveMaintenance = {
      id: w.id,
      name: w.name,
      mode: w.mode,
      endsAt: span.end,
      reason: w.reason,
      notify: w.notify,
    };
    if (!best || rank(cand) > rank(best) || (rank(cand) === rank(best) && cand.endsAt > best.endsAt))
      best = cand;
  }
  return best;
}

const rank = (m: ActiveMaintenance) => (m.mode === 'hold' ? 1 : 0);

/**
 * The next instant after `t` at which any window starts or ends (null: none ever again): the
 * engine re-evaluates the services then.
 */
export function nextBoundary(windows: readonly MaintenanceWindow[], t: number): number | null {
  let at: number | null = null;
  const take = (x: number) => {
    if (x > t && (at === null || x < at)) at = x;
  };
  for (const w of windows) {
    if (w.when.kind === 'fixed') {
      take(w.when.from);
      take(w.when.until);
      continue;
    }
    const now = spanAt(w.when.schedule, w.when.timezone, t);
    if (now) take(now.end);
    const upcoming = nextSpanAfter(w.when.schedule, w.when.timezone, t);
    if (upcoming) take(upcoming.start);
  }
  return at;
}
