/**
 * The maintenance windows as an agent shows them (`maintenanceWindows`, types/maintenance.ts) and
 * ships them to the hub (src/serve/serve.ts): contract windows with their current span, else the
 * next one; ad hoc windows not over yet, by start. Plain functions of the engine's windows, the
 * store's ad hoc rows and the time, outside any resolver.
 */
import { covers, type MaintenanceWindow, spanOf } from '../../contract/maintenance/active.js';
import { nextSpanAfter } from '../../contract/maintenance/window.js';
import { iso } from '../../core/status.js';
import type { MaintenanceRecord } from '../../store/maintenance.js';
import type { ApiContext } from './context.js';
import { localNode } from './service-id.js';
import type { WindowView } from './shared/maintenance.js';

/** What the views are read from: the API context, or serve's parts when shipping. */
export type WindowSource = Pick<ApiContext, 'now' | 'node'> & {
  engine: Pick<ApiContext['engine'], 'maintenanceWindows'>;
  store: Pick<ApiContext['store'], 'listMaintenance'>;
};

/** An ad hoc window's view. */
export function adhocView(r: MaintenanceRecord, now: number, node: string): WindowView {
  return {
    id: `adhoc:${r.id}`,
    node,
    name: `adhoc-${r.id}`,
    source: 'adhoc',
    services: r.services === 'all' ? null : r.services,
    mode: r.mode,
    notify: r.notify,
    reason: r.reason,
    actor: r.actor,
    schedule: null,
    timezone: null,
    from: iso(r.from),
    until: iso(r.until),
    active: r.cancelledAt === null && r.from <= now && now < r.until,
  };
}

function contractView(w: MaintenanceWindow, now: number, node: string): WindowView {
  const span =
    spanOf(w, now) ??
    (w.when.kind === 'schedule' ? nextSpanAfter(w.when.schedule, w.when.timezone, now) : null);
  return {
    id: w.id,
    node,
    name: w.name,
    source: 'contract',
    services: w.services === 'all' ? null : w.services,
    mode: w.mode,
    notify: w.notify,
    reason: w.reason,
    actor: null,
    schedule: w.when.kind === 'schedule' ? w.when.schedule.text : null,
    timezone: w.when.kind === 'schedule' ? w.when.timezone : null,
    from: iso(span?.start),
    until: iso(span?.end),
    active: spanOf(w, now) !== null,
  };
}

/** Contract windows, then ad hoc ones not over yet (by start); `service` filters. */
export function windowViews(src: WindowSource, service?: string | null): WindowView[] {
  const now = src.now();
  const node = localNode(src);
  const contract = src.engine
    .maintenanceWindows()
    .filter((w) => w.id.startsWith('contract:') && (!service || covers(w, service)))
    .map((w) => contractView(w, now, node));
  const adhoc = src.store
    .listMaintenance(now)
    .filter((r) => !service || r.services === 'all' || r.services.includes(service))
    .map((r) => adhocView(r, now, node));
  return [...contract, ...adhoc];
}
