/**
 * `scheduleMaintenance(services, from, until | durationSec, mode, reason, node)` and
 * `cancelMaintenance(id, reason, node)` (operator; the Slack bot acting for an operator too, and the
 * fleet hub's commands, run by src/serve/hub-commands.ts for `hub:<actor>`): ad hoc
 * maintenance windows. The window row and its audit event (`maintenance_scheduled` /
 * `maintenance_cancelled`, with the actor) are one transaction; then the engine gets the new
 * set of windows (a cancelled hold window hands its services back to their policy at once).
 * A `node` other than this agent's is NOT_FOUND (as for every service mutation); a hub command
 * is named in the audit event (`data.hubCommand`).
 */
import type { NewEvent } from '../../../core/audit.js';
import { windowSpan } from '../../../core/maintenance.js';
import type { MaintenanceRecord } from '../../../store/maintenance.js';
import { withAdhoc } from '../../../store/maintenance.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { adhocView } from '../maintenance-views.js';
import { isLocal, localNode } from '../service-id.js';
import { conflict, invalid, type MutationErrorShape, notFound } from '../types/errors.js';
import { MaintenanceModeEnum, MaintenanceResultRef } from '../types/maintenance.js';
import { authorize, checkReason, NODE_ARG } from './command.js';

/** NOT_FOUND for a `node` other than this agent's (the hub runs other nodes' windows). */
function foreign(ctx: ApiContext, node: string | null | undefined): MutationErrorShape | null {
  return isLocal(ctx, node)
    ? null
    : notFound(`this medic is node ${localNode(ctx)}, not ${node}: ask the fleet hub for other nodes`);
}

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
      ...(ctx.principal.hubCommand !== undefined ? { hubCommand: ctx.principal.hubCommand } : {}),
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
      node: t.arg.string({ description: NODE_ARG }),
    },
    resolve: (_root, args, ctx) => {
      const denied = authorize(ctx, 'scheduleMaintenance', 'operator', null);
      if (denied) return denied;
      const problem = checkReason(args.reason) ?? foreign(ctx, args.node);
      if (problem) return problem;
      const now = ctx.now();
      const span = windowSpan(args, now);
      if (!span.ok) return invalid(span.field, span.message);
      const { from, until } = span;
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
      return adhocView(window, ctx.now(), localNode(ctx));
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
      node: t.arg.string({ description: NODE_ARG }),
    },
    resolve: (_root, { id, reason, node }, ctx) => {
      const denied = authorize(ctx, 'cancelMaintenance', 'operator', null) ?? foreign(ctx, node);
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
      return adhocView(done.window, ctx.now(), localNode(ctx));
    },
  }),
);
