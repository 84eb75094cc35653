/**
 * `scheduleMaintenance(services, from, until | durationSec, mode, reason)` and
 * `cancelMaintenance(id, reason)` (operator; the Slack bot acting for an operator too): ad hoc
 * maintenance windows. The window row and its audit event (`maintenance_scheduled` /
 * `maintenance_cancelled`, with the actor) are one transaction; then the engine gets the new
 * set of windows (a cancelled hold window hands its services back to their policy at once).
 */
import type { NewEvent } from '../../../core/audit.js';
import type { MaintenanceRecord } from '../../../store/maintenance.js';
import { withAdhoc } from '../../../store/maintenance.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { conflict, invalid, notFound, resultUnion } from '../types/errors.js';
import {
  adhocView,
  MaintenanceModeEnum,
  MaintenanceWindowRef,
  type WindowView,
} from '../types/maintenance.js';
import { authorize, checkReason } from './command.js';

/** 7 days: a longer freeze belongs in the contract. */
export const MAX_WINDOW_SEC = 7 * 24 * 3600;

const MaintenanceResultRef = resultUnion<WindowView>('MaintenanceResult', MaintenanceWindowRef);

function event(ctx: ApiContext, kind: NewEvent['kind'], w: MaintenanceRecord, reason: string): NewEvent {
  return {
    at: ctx.now(),
    service: w.services !== 'all' && w.services.length === 1 ? w.services[0]! : null,
    kind,
    decision: null,
    taken: null,
    input: null,
    actor: ctx.principal.name,
    reason,
    stateFrom: null,
    stateTo: null,
    counters: null,
    effects: [],
    mode: null,
    data: {
      window: `adhoc:${w.id}`,
      services: w.services,
      mode: w.mode,
      notify: w.notify,
      from: w.from,
      until: w.until,
      via: ctx.principal.bot ? 'slack' : ctx.principal.via,
      role: ctx.principal.role,
    },
  };
}

/** Hands the engine the contract windows plus every stored one not over yet. */
function refresh(ctx: ApiContext): void {
  ctx.engine.setMaintenance(withAdhoc(ctx.engine.maintenanceWindows(), ctx.store.listMaintenance(ctx.now())));
}

builder.mutationField('scheduleMaintenance', (t) =>
  t.field({
    type: MaintenanceResultRef,
    description:
      'Schedule an ad hoc maintenance window (operator): `hold` stops automatic restarts, `shadow` records them without executing. Give `until` or `durationSec`. `notify` as in the contract.',
    args: {
      services: t.arg.stringList({ description: 'Services covered; omitted or empty: every service.' }),
      from: t.arg({ type: 'DateTime', description: 'Start (default: now).' }),
      until: t.arg({ type: 'DateTime' }),
      durationSec: t.arg.int({ description: 'Instead of `until`: how long from `from`.' }),
      mode: t.arg({ type: MaintenanceModeEnum, defaultValue: 'hold' }),
      notify: t.arg.boolean({
        defaultValue: false,
        description:
          "Like the contract's `notify`: escalations and new Slack incidents during the window are sent marked as maintenance (true) or suppressed (false, default).",
      }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, args, ctx) => {
      const denied = authorize(ctx, 'scheduleMaintenance', 'operator', null);
      if (denied) return denied;
      const problem = checkReason(args.reason);
      if (problem) return problem;
      const now = ctx.now();
      const from = args.from ?? now;
      if ((args.until == null) === (args.durationSec == null))
        return invalid('until', 'give exactly one of until and durationSec');
      const until = args.until ?? from + (args.durationSec ?? 0) * 1000;
      if (until <= from) return invalid('until', 'until must be after from');
      if (until <= now) return invalid('until', 'the window would already be over');
      if (until - from > MAX_WINDOW_SEC * 1000)
        return invalid(
          'until',
          `a window lasts at most ${MAX_WINDOW_SEC / 86400} days (longer: the contract)`,
        );
      const names = [...new Set(args.services ?? [])];
      const unknown = names.filter((n) => !ctx.engine.services.has(n));
      if (unknown.length) return notFound(`no service named ${unknown.map((n) => `'${n}'`).join(', ')}`);
      const reason = args.reason.trim();
      const { window, event: saved } = ctx.store.scheduleMaintenance(
        {
          services: names.length ? names : 'all',
          mode: args.mode ?? 'hold',
          notify: args.notify ?? false,
          from,
          until,
          reason,
          actor: ctx.principal.name,
          createdAt: now,
        },
        (w) => event(ctx, 'maintenance_scheduled', w, reason),
      );
      ctx.engine.relay(saved);
      refresh(ctx);
      return adhocView(window, ctx.now());
    },
  }),
);

builder.mutationField('cancelMaintenance', (t) =>
  t.field({
    type: MaintenanceResultRef,
    description:
      'End an ad hoc maintenance window now (operator); its services are handed back to their policy at once.',
    args: {
      id: t.arg.string({ required: true, description: '`adhoc:<n>`, `adhoc-<n>` or `<n>`.' }),
      reason: t.arg.string({ defaultValue: 'cancelled' }),
    },
    resolve: (_root, { id, reason }, ctx) => {
      const denied = authorize(ctx, 'cancelMaintenance', 'operator', null);
      if (denied) return denied;
      const why = (reason ?? 'cancelled').trim() || 'cancelled';
      if (id.startsWith('contract:'))
        return conflict(`window ${id} is defined in the contract; change the contract to end it`);
      const n = Number(/^(?:adhoc[:-])?(\d+)$/.exec(id.trim())?.[1]);
      if (!Number.isSafeInteger(n)) return invalid('id', `not a maintenance window id: '${id}'`);
      const found = ctx.store.getMaintenance(n);
      if (!found) return notFound(`no maintenance window adhoc:${n}`);
      const done = ctx.store.cancelMaintenance(n, ctx.principal.name, ctx.now(), (w) =>
        event(ctx, 'maintenance_cancelled', w, why),
      );
      if (!done) return conflict(`maintenance window adhoc:${n} is already over or cancelled`);
      ctx.engine.relay(done.event);
      refresh(ctx);
      return adhocView(done.window, ctx.now());
    },
  }),
);
