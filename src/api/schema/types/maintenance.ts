/**
 * `MaintenanceWindow` (contract windows and ad hoc ones, issue 18). Query `maintenanceWindows`
 * (viewer): the windows now in force or still to come, contract ones with their current or next
 * span. `ServiceMaintenance` (the window in force for a service, `Service.maintenance`) is shared
 * with the hub (shared/service.ts).
 */

import { covers, type MaintenanceWindow, spanOf } from '../../../contract/maintenance/active.js';
import { nextSpanAfter } from '../../../contract/maintenance/window.js';
import { iso } from '../../../core/status.js';
import type { MaintenanceRecord } from '../../../store/maintenance.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { enumTypes } from '../shared/enums.js';

export const { MaintenanceModeEnum } = enumTypes(builder);

/** One window as the API shows it. */
export interface WindowView {
  id: string;
  name: string;
  source: 'contract' | 'adhoc';
  /** null: every service. */
  services: string[] | null;
  mode: 'hold' | 'shadow';
  notify: boolean;
  reason: string | null;
  actor: string | null;
  schedule: string | null;
  timezone: string | null;
  /** The current span, else the next one (contract windows); null when none is to come. */
  from: string | null;
  until: string | null;
  active: boolean;
}

export const MaintenanceWindowRef = builder.objectRef<WindowView>('MaintenanceWindow').implement({
  description:
    'A maintenance window: from the contract (recurring) or scheduled ad hoc (GraphQL, CLI, Slack).',
  fields: (t) => ({
    id: t.exposeString('id', {
      description: '`contract:<name>` or `adhoc:<n>` (cancelMaintenance takes either n or adhoc:n).',
    }),
    name: t.exposeString('name'),
    source: t.exposeString('source', { description: '`contract` or `adhoc`.' }),
    services: t.exposeStringList('services', { nullable: true, description: 'null: every service.' }),
    mode: t.field({ type: MaintenanceModeEnum, resolve: (w) => w.mode }),
    notify: t.exposeBoolean('notify', {
      description:
        'Escalations and new Slack incidents during the window: sent marked as maintenance (true) or suppressed (false).',
    }),
    reason: t.exposeString('reason', { nullable: true }),
    actor: t.exposeString('actor', { nullable: true, description: 'Who scheduled it (ad hoc windows).' }),
    schedule: t.exposeString('schedule', {
      nullable: true,
      description: 'The contract schedule as written.',
    }),
    timezone: t.exposeString('timezone', { nullable: true }),
    from: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.from }),
    until: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.until }),
    active: t.exposeBoolean('active', { description: 'In force now.' }),
  }),
});

/** An ad hoc window's view. */
export function adhocView(r: MaintenanceRecord, now: number): WindowView {
  return {
    id: `adhoc:${r.id}`,
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

function contractView(w: MaintenanceWindow, now: number): WindowView {
  const span =
    spanOf(w, now) ??
    (w.when.kind === 'schedule' ? nextSpanAfter(w.when.schedule, w.when.timezone, now) : null);
  return {
    id: w.id,
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
export function windowViews(ctx: ApiContext, service?: string | null): WindowView[] {
  const now = ctx.now();
  const contract = ctx.engine
    .maintenanceWindows()
    .filter((w) => w.id.startsWith('contract:') && (!service || covers(w, service)))
    .map((w) => contractView(w, now));
  const adhoc = ctx.store
    .listMaintenance(now)
    .filter((r) => !service || r.services === 'all' || r.services.includes(service))
    .map((r) => adhocView(r, now));
  return [...contract, ...adhoc];
}

builder.queryFields((t) => ({
  maintenanceWindows: t.field({
    type: [MaintenanceWindowRef],
    description: 'Maintenance windows in force now or still to come (contract and ad hoc).',
    args: { service: t.arg.string({ description: 'Only windows covering this service.' }) },
    resolve: (_root, { service }, ctx) => windowViews(ctx, service),
  }),
}));
