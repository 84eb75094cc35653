/**
 * `Service` at the hub: the agent's type (src/api/schema/shared/service.ts: the same fields,
 * `node`, `id` = `node/name`) from the views the agents ship, plus hub-only `updatedAt`, `view`
 * and `nodeInfo`. Queries as on an agent: `services(first, after, node, state)` (a list; 500 at
 * most), `servicePage(...)` (keyset pages on (node, name)) and `service(name, node)` (`node` may be
 * left out when only one node runs that name; otherwise an AMBIGUOUS error listing the nodes).
 */
import { createGraphQLError } from 'graphql-yoga';
import { enumTypes } from '../../api/schema/shared/enums.js';
import { serviceTypes } from '../../api/schema/shared/service.js';
import {
  backwardArgs,
  type PageArgs,
  pageShape,
  servicePageType,
} from '../../api/schema/shared/service-page.js';
import { type FleetServiceShape, fleetServiceShape } from '../fleet-view.js';
import { findService, listNodes, listServices, MAX_SERVICE_PAGE, servicesByIds } from '../nodes.js';
import { builder, type HubContext } from './builder.js';
import { NodeRef } from './node.js';

export const { ServiceRef } = serviceTypes(builder);
const ServicePageRef = servicePageType(builder);
const { ServiceStateEnum } = enumTypes(builder);

const DEFAULT_PAGE = 100;

builder.objectFields(ServiceRef, (t) => ({
  updatedAt: t.field({
    type: 'DateTime',
    description:
      "Hub only: when this view last changed as its agent shipped it (agents ship a view when it changes; its node's lastSeenAt says how current it is).",
    resolve: (s) => (s as FleetServiceShape).updatedAt,
  }),
  view: t.field({
    type: 'JSON',
    description: 'Hub only: the agent-side ServiceView as shipped.',
    resolve: (s) => (s as FleetServiceShape).view,
  }),
  nodeInfo: t.field({
    type: NodeRef,
    description: 'Hub only: the node with its liveness.',
    resolve: async (s, _a, ctx: HubContext) =>
      (await listNodes(ctx.db, ctx.clock.now(), ctx.silenceMs, (s as FleetServiceShape).node))[0]!,
  }),
}));

/** One service of the fleet by name (and node), or a GraphQL AMBIGUOUS error naming the nodes. */
export async function serviceAt(ctx: HubContext, node: string | null | undefined, name: string) {
  const found = await findService(ctx.db, node, name);
  if (found.ok) return fleetServiceShape(found.service, ctx.publicUrl);
  if (found.code === 'AMBIGUOUS')
    throw createGraphQLError(found.message, { extensions: { code: 'AMBIGUOUS', nodes: found.nodes } });
  return null;
}

/** `servicesByIds`' ids, bounded like a page (at most MAX_SERVICE_PAGE). */
function idList(ids: readonly string[]): readonly string[] {
  if (ids.length > MAX_SERVICE_PAGE)
    throw createGraphQLError(`ids: at most ${MAX_SERVICE_PAGE}`, { extensions: { code: 'VALIDATION' } });
  return ids;
}

builder.queryFields((t) => {
  const args = {
    first: t.arg.int({
      description: `At most this many (1..${MAX_SERVICE_PAGE}); at the hub 500 by default.`,
    }),
    after: t.arg.string({ description: 'The `id` of the last service seen (the previous endCursor).' }),
    node: t.arg.string({ description: 'Only this node.' }),
    state: t.arg({ type: ServiceStateEnum }),
  };
  const page = async (ctx: HubContext, a: PageArgs, first: number) => {
    const { backward, size } = pageShape(a, first, MAX_SERVICE_PAGE);
    const p = await listServices(ctx.db, {
      first: size!,
      after: a.after,
      before: a.before,
      backward,
      node: a.node,
      state: a.state,
    });
    return { ...p, services: p.services.map((s) => fleetServiceShape(s, ctx.publicUrl)) };
  };
  return {
    services: t.field({
      type: [ServiceRef],
      args,
      resolve: async (_r, a, ctx) => (await page(ctx, a, a.first ?? MAX_SERVICE_PAGE)).services,
    }),
    servicePage: t.field({
      type: ServicePageRef,
      description: `Fleet services one page at a time (default ${DEFAULT_PAGE}), ordered by node and name.`,
      args: { ...args, ...backwardArgs(t) },
      resolve: (_r, a, ctx) => page(ctx, a, a.first ?? DEFAULT_PAGE),
    }),
    servicesByIds: t.field({
      type: [ServiceRef],
      description: `The services with these ids (\`node/name\`; at most ${MAX_SERVICE_PAGE}), in that order; unknown ids left out.`,
      args: { ids: t.arg.stringList({ required: true }) },
      resolve: async (_r, a, ctx) =>
        (await servicesByIds(ctx.db, idList(a.ids))).map((s) => fleetServiceShape(s, ctx.publicUrl)),
    }),
    service: t.field({
      type: ServiceRef,
      nullable: true,
      description: 'One service; `node` is required when several nodes run a service of that name.',
      args: { name: t.arg.string({ required: true }), node: t.arg.string() },
      resolve: (_r, a, ctx) => serviceAt(ctx, a.node, a.name),
    }),
  };
});
