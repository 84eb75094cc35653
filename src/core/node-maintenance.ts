/**
 * Is a node that went dark inside a declared maintenance window? (issue 17 × issue 18, fleet
 * mode). A host rebooted or upgraded during maintenance stops reporting on purpose: when EVERY
 * service the node last shipped was inside a maintenance window that had not ended at the moment
 * the silence was recorded, the hub's `node_down` carries that window (`data.maintenance`, the
 * same mark agents put on their events, core/maintenance.ts) and paging / Slack treat it like an
 * agent's incident in a window: suppressed without `notify`, marked with it. A node with one
 * service outside any window, or with no services, is paged as before. Pure.
 */
import type { MaintenanceMark } from './maintenance.js';

/**
 * The `maintenance` field of a service view as shipped (not a whole window: that is
 * fleet/maintenance.ts ShippedWindow). Agents ship their core ServiceView, whose
 * `endsAt` is wall-clock epoch ms (core/view.ts ActiveMaintenance); an ISO string (the
 * ServiceStatus projection) is read too.
 */
export interface ViewMaintenance {
  id: string;
  name: string;
  mode: 'hold' | 'shadow';
  endsAt: string | number;
  notify?: boolean;
}

/** A shipped window's end in epoch ms (NaN when unreadable: then it covers nothing). */
const endOf = (w: ViewMaintenance): number =>
  typeof w.endsAt === 'number' ? w.endsAt : Date.parse(w.endsAt);

/**
 * The window a dark node is in at `now`, or null. With several windows, the one ending first
 * names it (the node is covered until then at least); `notify` if any of them notifies, so a
 * window that asked to be told is never silenced by another.
 */
export function nodeWindow(
  windows: readonly (ViewMaintenance | null | undefined)[],
  now: number,
): MaintenanceMark | null {
  if (windows.length === 0) return null;
  let first: ViewMaintenance | null = null;
  let notify = false;
  for (const w of windows) {
    if (!w || !(endOf(w) > now)) return null;
    if (!first || endOf(w) < endOf(first)) first = w;
    notify ||= w.notify === true;
  }
  return first && { id: first.id, name: first.name, mode: first.mode, notify };
}
