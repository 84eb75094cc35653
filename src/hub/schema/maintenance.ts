/**
 * Maintenance windows at the hub (issue 15 × issue 18), the agent's three fields for the fleet:
 * - `maintenanceWindows(service, node)` (viewer): what the nodes' agents last shipped
 *   (../maintenance.ts), every node's by name without `node`;
 * - `scheduleMaintenance(..., node)` and `cancelMaintenance(id, reason, node)` (operator):
 *   commands to ONE node's agent (a window, and its `adhoc:<n>` id, belong to one node's store),
 *   run there by its own mutation (its validation, engine and audit), answering the window it
 *   answered, or PendingCommand after the bounded wait. `node` may be left out when the named
 *   services all run on one node (schedule), or only one node reports; otherwise
 *   AmbiguousError lists the nodes — a window for services on several nodes is one command per
 *   node, each with its own id and audit, never a silent fan-out.
 * The hub checks role, reason, the window's span (core windowSpan, on its clock) and the
 * services before queueing; the agent checks everything again on its own.
 */
import type { MutationErrorShape } from '../../api/schema/shared/errors.js';
import { maintenanceTypes, type WindowView } from '../../api/schema/shared/maintenance.js';
import { windowSpan } from '../../core/maintenance.js';
import { type CommandOperation, NODE_WIDE } from '../../fleet/protocol.js';
import { issueCommand } from '../commands.js';
import { fleetWindows } from '../maintenance.js';
import { findService, resolveNode } from '../nodes.js';
import { builder, type HubContext } from './builder.js';
import { awaitCommand, type Pending } from './commands.js';
import { authorizeHub, lookupRefusal, nodeWideOutcome, reasonProblem } from './node-command.js';

const { MaintenanceModeEnum, MaintenanceWindowRef, MaintenanceResultRef } = maintenanceTypes(builder);
const NODE_HELP =
  'The node whose window it is; may be left out when one node runs the named services (else AmbiguousError).';

type Answer = WindowView | MutationErrorShape | Pending;

/** The one node a schedule addresses: `node`, or the node running every named service, or the only node. */
async function windowNode(
  ctx: HubContext,
  node: string | null | undefined,
  services: string[],
): Promise<{ node: string } | MutationErrorShape> {
  if (services.length === 0 || node) {
    const found = await resolveNode(ctx.db, node);
    if (!found.ok) return lookupRefusal(found);
    if (services.length === 0) return { node: found.node };
  }
  const on = new Set<string>();
  for (const name of services) {
    const found = await findService(ctx.db, node, name);
    if (!found.ok) return lookupRefusal(found);
    on.add(found.service.node);
  }
  if (on.size > 1)
    return {
      code: 'AMBIGUOUS',
      message: `services ${services.join(', ')} run on different nodes (${[...on].join(', ')}): a window is one node's; pass node, once per node`,
      nodes: [...on],
    };
  return { node: [...on][0]! };
}

/** Queues the command for `node` and answers what its agent answered (or PendingCommand). */
async function run(
  ctx: HubContext,
  operation: CommandOperation,
  c: {
    node: string;
    service: string;
    args: Record<string, unknown>;
    reason: string;
    role: 'viewer' | 'operator' | 'admin';
  },
): Promise<Answer> {
  const cmd = await issueCommand(
    ctx.db,
    { ...c, operation, actor: ctx.principal.name },
    ctx.clock.now(),
    ctx.commandTtlMs,
  );
  const settled = await awaitCommand(ctx, cmd.id, ctx.commandWaitMs);
  return nodeWideOutcome(settled, (r) => r.window as WindowView | undefined, 'operator');
}

builder.queryField('maintenanceWindows', (t) =>
  t.field({
    type: [MaintenanceWindowRef],
    description:
      "Maintenance windows in force now or still to come, as each node's agent last shipped them (active judged now).",
    args: {
      service: t.arg.string({
        description: 'Only windows covering this service (on the nodes that run it).',
      }),
      node: t.arg.string({ description: 'Only this node (default: every node).' }),
    },
    resolve: (_r, a, ctx) => fleetWindows(ctx.db, a, ctx.clock.now()),
  }),
);

builder.mutationField('scheduleMaintenance', (t) =>
  t.field({
    type: MaintenanceResultRef,
    description:
      "Schedule an ad hoc maintenance window on one node (operator), run by that node's agent; answers the window, or PendingCommand after a bounded wait.",
    args: {
      services: t.arg.stringList({
        description: 'Services covered; omitted or empty: every service of the node.',
      }),
      from: t.arg({ type: 'DateTime', description: 'Start (default: now, on the agent).' }),
      until: t.arg({ type: 'DateTime' }),
      durationSec: t.arg.int({ description: 'Instead of `until`: how long from `from`.' }),
      mode: t.arg({ type: MaintenanceModeEnum, defaultValue: 'hold' }),
      notify: t.arg.boolean({ defaultValue: false }),
      reason: t.arg.string({ required: true }),
      node: t.arg.string({ description: NODE_HELP }),
    },
    resolve: async (_r, a, ctx): Promise<Answer> => {
      const names = [...new Set(a.services ?? [])];
      const service = names.length === 1 ? names[0]! : NODE_WIDE;
      const auth = authorizeHub(ctx, 'scheduleMaintenance', 'operator', { node: a.node, service });
      if ('error' in auth) return auth.error;
      const reason = a.reason.trim();
      const bad = reasonProblem(reason);
      if (bad) return bad;
      const span = windowSpan(a, ctx.clock.now());
      if (!span.ok) return { code: 'VALIDATION', field: span.field, message: span.message };
      const target = await windowNode(ctx, a.node, names);
      if (!('node' in target)) return target;
      const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
      const args = {
        services: names.length ? names : null,
        from: iso(a.from),
        until: iso(a.until),
        durationSec: a.durationSec ?? null,
        mode: a.mode ?? 'hold',
        notify: a.notify ?? false,
      };
      return run(ctx, 'scheduleMaintenance', { node: target.node, service, args, reason, role: auth.role });
    },
  }),
);

builder.mutationField('cancelMaintenance', (t) =>
  t.field({
    type: MaintenanceResultRef,
    description:
      "End an ad hoc maintenance window of one node now (operator), through that node's agent; answers the window, or PendingCommand after a bounded wait.",
    args: {
      id: t.arg.string({
        required: true,
        description: '`adhoc:<n>`, `adhoc-<n>` or `<n>` (ids are per node).',
      }),
      reason: t.arg.string({ defaultValue: 'cancelled' }),
      node: t.arg.string({
        description: 'The node whose window it is; may be left out when only one node reports.',
      }),
    },
    resolve: async (_r, a, ctx): Promise<Answer> => {
      const auth = authorizeHub(ctx, 'cancelMaintenance', 'operator', { node: a.node, service: NODE_WIDE });
      if ('error' in auth) return auth.error;
      const reason = (a.reason ?? 'cancelled').trim() || 'cancelled';
      const bad = reasonProblem(reason);
      if (bad) return bad;
      if (!/^(?:(?:adhoc[:-])?\d+|contract:.+)$/.test(a.id.trim()))
        return { code: 'VALIDATION', field: 'id', message: `not a maintenance window id: '${a.id}'` };
      const found = await resolveNode(ctx.db, a.node);
      if (!found.ok) return lookupRefusal(found);
      return run(ctx, 'cancelMaintenance', {
        node: found.node,
        service: NODE_WIDE,
        args: { id: a.id.trim() },
        reason,
        role: auth.role,
      });
    },
  }),
);
