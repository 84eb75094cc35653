/**
 * Operator commands at the hub: `holdService/releaseService/approveRestart/forceRestart/
 * resetCircuit(node, name, reason[, ttlSec])` queue a command for the node (commands.ts); the
 * agent runs it through its own API, engine and decide() and sends the result back. The mutation
 * waits up to MEDIC_HUB_COMMAND_WAIT_MS for it and answers what the agent's own mutation answered
 * (the agent's `ServiceResult`: the Service afterwards, or its typed error), or `PendingCommand`
 * (query `command(id)` later). Roles as on an agent: operator, and admin for forceRestart.
 * Refusals at the hub are the same typed errors (NOT_FOUND, NOT_ALLOWED, VALIDATION) plus
 * AmbiguousError (a name several nodes run, given without `node`).
 */

import { invalid, type MutationErrorShape, notFound, resultUnion } from '../../api/schema/shared/errors.js';
import { pendingCommandType } from '../../api/schema/shared/pending-command.js';
import type { TokenRole } from '../../core/roles.js';
import type { CommandOperation, CommandResult } from '../../fleet/protocol.js';
import {
  type CommandState,
  getCommand,
  issueCommand,
  listCommands,
  type StoredCommand,
} from '../commands.js';
import type { FleetServiceShape } from '../fleet-view.js';
import { findService } from '../nodes.js';
import { agentRefusal } from './agent-refusal.js';
import { builder, type HubContext } from './builder.js';
import { authorizeHub, lookupRefusal, type Pending, reasonProblem } from './node-command.js';

export type { Pending };

import { ServiceRef, serviceAt } from './service.js';

export const MAX_HOLD_SEC = 30 * 24 * 3600;
const POLL_MS = 100;

const CommandStateEnum = builder.enumType('CommandState', {
  values: ['pending', 'delivered', 'done', 'expired'] as const,
  description:
    'pending: queued, not yet fetched by the agent; delivered: fetched, no result yet; done: the ' +
    "agent's result is in `result`; expired: no result before `expiresAt` (audited command_expired).",
});

const CommandOutcomeRef = builder.objectRef<CommandResult>('CommandOutcome').implement({
  description: "What the agent's own API answered (its mutation result).",
  fields: (t) => ({
    ok: t.exposeBoolean('ok', {
      description: 'The command was taken (the agent answered with the Service).',
    }),
    type: t.exposeString('type', {
      description:
        "The agent's result type: Service, MaintenanceWindow, or an error type of its API (ConflictError, NotFoundError, ValidationError, …); `Error` when the agent could not run the command at all, with `code` GRAPHQL (its API refused the request), ALREADY_TAKEN (it took the command before a restart: see its audit log), UNSUPPORTED_OPERATION (an older agent) or INTERNAL.",
    }),
    code: t.exposeString('code', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    state: t.exposeString('state', { nullable: true, description: 'The service state afterwards.' }),
    at: t.field({ type: 'DateTime', resolve: (r) => r.at }),
  }),
});

export const CommandRef = builder.objectRef<StoredCommand>('Command').implement({
  description: 'An operator command for one service on one node.',
  fields: (t) => ({
    id: t.float({ resolve: (c) => c.id }),
    node: t.exposeString('node'),
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    args: t.field({ type: 'JSON', resolve: (c) => c.args }),
    actor: t.exposeString('actor'),
    reason: t.exposeString('reason'),
    state: t.field({ type: CommandStateEnum, resolve: (c) => c.state }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    expiresAt: t.field({ type: 'DateTime', resolve: (c) => c.expiresAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.deliveredAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.finishedAt }),
    result: t.field({ type: CommandOutcomeRef, nullable: true, resolve: (c) => c.result }),
  }),
});

export const PendingCommandRef = pendingCommandType(builder);
builder.objectField(PendingCommandRef, 'command', (t) =>
  t.field({
    type: CommandRef,
    description: 'Hub only: the command as it stands.',
    resolve: (p) => (p as Pending).pending,
  }),
);

/**
 * The hub's `ServiceResult` (the agent's union, src/api/schema/shared/errors.ts): the Service
 * afterwards or the agent's typed error, AmbiguousError (a name several nodes run, without
 * `node`), or PendingCommand.
 */
export const ServiceResultRef = resultUnion(builder, 'ServiceResult', ServiceRef);

/** The agent's answer as the result the agent's own mutation gave (its Service now, or its error). */
export async function outcomeOf(
  ctx: HubContext,
  cmd: StoredCommand,
  required: TokenRole,
): Promise<FleetServiceShape | MutationErrorShape | Pending> {
  const r = cmd.result;
  if (cmd.state !== 'done' || !r) return { pending: cmd };
  if (r.ok)
    return (
      (await serviceAt(ctx, cmd.node, cmd.service)) ??
      notFound(`no service '${cmd.service}' on node ${cmd.node}`)
    );
  return agentRefusal(cmd, r, required);
}

/** Polls PostgreSQL until the command is done/expired or `waitMs` passed (any replica may store the result). */
export async function awaitCommand(ctx: HubContext, id: number, waitMs: number): Promise<StoredCommand> {
  const deadline = ctx.clock.now() + waitMs;
  for (;;) {
    const cmd = (await getCommand(ctx.db, id))!;
    if (cmd.state === 'done' || cmd.state === 'expired' || ctx.clock.now() >= deadline) return cmd;
    await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, POLL_MS));
  }
}

interface Spec {
  operation: CommandOperation;
  required: 'operator' | 'admin';
  description: string;
  ttl?: boolean;
}

const SPECS: Spec[] = [
  {
    operation: 'holdService',
    required: 'operator',
    ttl: true,
    description: 'Hold a service on a node: no automatic restarts until the TTL expires or it is released.',
  },
  { operation: 'releaseService', required: 'operator', description: 'Release a hold on a node.' },
  {
    operation: 'approveRestart',
    required: 'operator',
    description: 'Approve one probe restart while the circuit is open.',
  },
  { operation: 'forceRestart', required: 'admin', description: 'Restart now regardless of guards (admin).' },
  { operation: 'resetCircuit', required: 'operator', description: 'Reset the circuit breaker.' },
];

for (const spec of SPECS) {
  builder.mutationField(spec.operation, (t) =>
    t.field({
      type: ServiceResultRef,
      description: `${spec.description} Queued for the node's agent, which runs it through its own guards; answers its result, or PendingCommand after a bounded wait.`,
      args: {
        node: t.arg.string({
          required: false,
          description: 'Required when several nodes run a service of that name (else AmbiguousError).',
        }),
        name: t.arg.string({ required: true }),
        reason: t.arg.string({ required: true }),
        ...(spec.ttl ? { ttlSec: t.arg.int({ required: true }) } : {}),
      },
      resolve: async (_r, a, ctx) => {
        const auth = authorizeHub(ctx, spec.operation, spec.required, { node: a.node, service: a.name });
        if ('error' in auth) return auth.error;
        const reason = a.reason.trim();
        const bad = reasonProblem(reason);
        if (bad) return bad;
        const ttlSec = (a as { ttlSec?: number }).ttlSec;
        if (spec.ttl && !(ttlSec !== undefined && ttlSec >= 1 && ttlSec <= MAX_HOLD_SEC))
          return invalid('ttlSec', `ttlSec must be between 1 and ${MAX_HOLD_SEC}`);
        const found = await findService(ctx.db, a.node, a.name);
        if (!found.ok) return lookupRefusal(found);
        const cmd = await issueCommand(
          ctx.db,
          {
            node: found.service.node,
            service: a.name,
            operation: spec.operation,
            args: spec.ttl ? { ttlSec } : {},
            actor: ctx.principal.name,
            role: auth.role,
            reason,
          },
          ctx.clock.now(),
          ctx.commandTtlMs,
        );
        return outcomeOf(ctx, await awaitCommand(ctx, cmd.id, ctx.commandWaitMs), spec.required);
      },
    }),
  );
}

builder.queryField('command', (t) =>
  t.field({
    type: CommandRef,
    nullable: true,
    args: { id: t.arg.float({ required: true }) },
    resolve: (_r, a, ctx) => getCommand(ctx.db, a.id),
  }),
);

builder.queryField('commands', (t) =>
  t.field({
    type: [CommandRef],
    description: 'Commands oldest first, optionally of one node and state; `after` is an id.',
    args: {
      node: t.arg.string({ required: false }),
      state: t.arg({ type: CommandStateEnum, required: false }),
      first: t.arg.int({ required: true, defaultValue: 50 }),
      after: t.arg.float({ required: false }),
    },
    resolve: (_r, a, ctx) =>
      listCommands(ctx.db, {
        node: a.node,
        state: (a.state as CommandState | null) ?? null,
        first: a.first,
        after: a.after,
      }),
  }),
);
