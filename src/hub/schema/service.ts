/**
 * `Service` at the hub (stable `id` = `node/name`, its `node`), the paginated fleet `services`
 * and `service(node, name)` (`node` may be left out when only one node has that name).
 */
import { GraphQLError } from 'graphql';
import { type FleetService, findService, listNodes, listServices } from '../nodes.js';
import { builder } from './builder.js';
import { NodeRef } from './node.js';

export const ServiceRef = builder.objectRef<FleetService>('Service').implement({
  fields: (t) => ({
    id: t.id({ description: '`node/name`, stable.', resolve: (s) => `${s.node}/${s.name}` }),
    name: t.exposeString('name'),
    state: t.exposeString('state'),
    unit: t.string({ resolve: (s) => String(s.view.unit ?? '') }),
    view: t.field({
      type: 'JSON',
      description: 'The agent-side ServiceView as shipped.',
      resolve: (s) => s.view,
    }),
    updatedAt: t.field({ type: 'DateTime', resolve: (s) => s.updatedAt }),
    nodeName: t.string({
      description: 'The name of the node (cheap: no node lookup).',
      resolve: (s) => s.node,
    }),
    node: t.field({
      type: NodeRef,
      resolve: async (s, _a, ctx) => (await listNodes(ctx.db, ctx.clock.now(), ctx.silenceMs, s.node))[0]!,
    }),
  }),
});

const ServicePage = builder
  .objectRef<{ services: FleetService[]; hasNextPage: boolean }>('ServicePage')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [ServiceRef], resolve: (p) => p.services }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.string({
        nullable: true,
        resolve: (p) => {
          const last = p.services.at(-1);
          return last ? `${last.node}/${last.name}` : null;
        },
      }),
    }),
  });

builder.queryField('services', (t) =>
  t.field({
    type: ServicePage,
    args: {
      first: t.arg.int({ required: true, defaultValue: 100 }),
      after: t.arg.string({ required: false }),
      node: t.arg.string({ required: false }),
      state: t.arg.string({ required: false }),
    },
    resolve: (_r, a, ctx) => listServices(ctx.db, a),
  }),
);

builder.queryField('service', (t) =>
  t.field({
    type: ServiceRef,
    nullable: true,
    description: 'One service; `node` is required when several nodes run a service of that name.',
    args: { node: t.arg.string({ required: false }), name: t.arg.string({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const found = await findService(ctx.db, a.node, a.name);
      if (found.ok) return found.service;
      if (found.code === 'AMBIGUOUS')
        throw new GraphQLError(found.message, { extensions: { code: 'AMBIGUOUS' } });
      return null;
    },
  }),
);
