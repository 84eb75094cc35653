/**
 * The runtime contract at the hub, per node, as on an agent: `runtimeContract(node)` answers what
 * that node's agent's `runtimeContract` answered when it last shipped it (agents ship it when it
 * changed), and `checkDrift(node)` runs the agent's own `checkDrift` there as a command down
 * (operator; the agent's role check, drift check and audit apply) and answers its DriftReport,
 * or PendingCommand when the agent has not answered within the bounded wait. `node` may be left
 * out when one node reports to the hub; otherwise AmbiguousError (runtimeContract: an AMBIGUOUS
 * GraphQL error) lists the nodes.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { DriftReport } from '../../api/schema/ports.js';
import { driftTypes, type RuntimeContractShape } from '../../api/schema/shared/drift.js';
import { type MutationErrorShape, resultUnion } from '../../api/schema/shared/errors.js';
import { NODE_WIDE } from '../../fleet/protocol.js';
import { issueCommand, type StoredCommand } from '../commands.js';
import { nodeContract, resolveNode } from '../nodes.js';
import { builder, type HubContext } from './builder.js';
import { awaitCommand, type Pending } from './commands.js';
import { authorizeHub, lookupRefusal, nodeWideOutcome } from './node-command.js';

const { DriftReportRef, RuntimeContractRef } = driftTypes(builder);

const DriftResultRef = resultUnion(builder, 'DriftResult', DriftReportRef);

function driftOutcome(cmd: StoredCommand): DriftReport | MutationErrorShape | Pending {
  return nodeWideOutcome(cmd, (r) => r.drift as DriftReport | undefined, 'operator');
}

builder.queryField('runtimeContract', (t) =>
  t.field({
    type: RuntimeContractRef,
    nullable: true,
    description:
      "A node's runtime contract as its agent last shipped it (null: it runs without one, or has not shipped it yet).",
    args: { node: t.arg.string({ description: 'Required when several nodes report to this hub.' }) },
    resolve: async (_r, a, ctx) => {
      const found = await resolveNode(ctx.db, a.node);
      if (!found.ok) {
        if (found.code === 'AMBIGUOUS')
          throw createGraphQLError(found.message, { extensions: { code: 'AMBIGUOUS', nodes: found.nodes } });
        return null;
      }
      return (await nodeContract(ctx.db, found.node)) as RuntimeContractShape | null;
    },
  }),
);

builder.mutationField('checkDrift', (t) =>
  t.field({
    type: DriftResultRef,
    description:
      "Run a node's drift check now, through its agent's own checkDrift (operator); waits a bounded time for the report.",
    args: {
      node: t.arg.string({
        description: 'Required when several nodes report to this hub (else AmbiguousError).',
      }),
    },
    resolve: async (_r, a, ctx: HubContext) => {
      const auth = authorizeHub(ctx, 'checkDrift', 'operator', { node: a.node, service: NODE_WIDE });
      if ('error' in auth) return auth.error;
      const found = await resolveNode(ctx.db, a.node);
      if (!found.ok) return lookupRefusal(found);
      const cmd = await issueCommand(
        ctx.db,
        {
          node: found.node,
          service: NODE_WIDE,
          operation: 'checkDrift',
          args: {},
          actor: ctx.principal.name,
          role: auth.role,
          reason: 'drift check requested at the hub',
        },
        ctx.clock.now(),
        ctx.commandTtlMs,
      );
      return driftOutcome(await awaitCommand(ctx, cmd.id, ctx.commandWaitMs));
    },
  }),
);
