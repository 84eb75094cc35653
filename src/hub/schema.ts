/**
 * The hub's GraphQL schema (first slice of issue 15): `nodes` and the paginated fleet
 * `services(first, after, node, state)`, read from PostgreSQL. A fleet Service has a stable
 * `id` = `node/name` and its `node`. What of the agent schema is not here yet: docs/FLEET.md.
 */
import SchemaBuilder from '@pothos/core';
import type { Clock } from '../clock/clock.js';
import type { HubDb } from './db.js';
import { type FleetNode, type FleetService, listNodes, listServices } from './nodes.js';

export interface HubContext {
  db: HubDb;
  clock: Pick<Clock, 'now'>;
  silenceMs: number;
}

const builder = new SchemaBuilder<{
  Context: HubContext;
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: number; Output: number }; JSON: { Input: unknown; Output: unknown } };
}>({ defaultFieldNullability: false });

builder.scalarType('DateTime', {
  description: 'An instant as an ISO-8601 string in UTC.',
  serialize: (ms) => new Date(ms).toISOString(),
  parseValue: (v) => Date.parse(String(v)),
});
builder.scalarType('JSON', { description: 'Free-form JSON.', serialize: (v) => v, parseValue: (v) => v });

const StateCount = builder.objectRef<{ state: string; count: number }>('StateCount').implement({
  fields: (t) => ({ state: t.exposeString('state'), count: t.exposeInt('count') }),
});

const NodeRef = builder.objectRef<FleetNode>('Node').implement({
  description: 'An agent (a host running `medic serve`) as the hub last heard from it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version', { nullable: true }),
    connected: t.boolean({ resolve: (n) => n.state === 'connected' }),
    state: t.exposeString('state', { description: 'connected | unreachable (silent longer than the limit)' }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (n) => n.lastSeenAt }),
    eventCursor: t.float({ description: 'Highest event id stored for this node.', resolve: (n) => n.cursor }),
    counts: t.field({ type: [StateCount], description: 'Services by state.', resolve: (n) => n.counts }),
  }),
});

const ServiceRef = builder.objectRef<FleetService>('Service').implement({
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

builder.queryType({
  fields: (t) => ({
    nodes: t.field({
      type: [NodeRef],
      resolve: (_r, _a, ctx) => listNodes(ctx.db, ctx.clock.now(), ctx.silenceMs),
    }),
    services: t.field({
      type: ServicePage,
      args: {
        first: t.arg.int({ required: true, defaultValue: 100 }),
        after: t.arg.string({ required: false }),
        node: t.arg.string({ required: false }),
        state: t.arg.string({ required: false }),
      },
      resolve: (_r, a, ctx) => listServices(ctx.db, a),
    }),
  }),
});

export const hubSchema = builder.toSchema();
