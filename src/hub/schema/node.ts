/** `Node` (an agent as the hub last heard from it) and `nodes`. */
import { type FleetNode, listNodes } from '../nodes.js';
import { builder } from './builder.js';

const StateCount = builder.objectRef<{ state: string; count: number }>('StateCount').implement({
  fields: (t) => ({ state: t.exposeString('state'), count: t.exposeInt('count') }),
});

export const NodeRef = builder.objectRef<FleetNode>('Node').implement({
  description: 'An agent (a host running `medic serve`) as the hub last heard from it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version', { nullable: true }),
    connected: t.boolean({ resolve: (n) => n.state === 'connected' }),
    state: t.exposeString('state', { description: 'connected | unreachable (silent longer than the limit)' }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (n) => n.lastSeenAt }),
    downSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the hub recorded `node_down` for the current silence (null while connected).',
      resolve: (n) => n.downSince,
    }),
    eventCursor: t.float({ description: 'Highest event id stored for this node.', resolve: (n) => n.cursor }),
    counts: t.field({ type: [StateCount], description: 'Services by state.', resolve: (n) => n.counts }),
  }),
});

builder.queryField('nodes', (t) =>
  t.field({
    type: [NodeRef],
    resolve: (_r, _a, ctx) => listNodes(ctx.db, ctx.clock.now(), ctx.silenceMs),
  }),
);

builder.queryField('node', (t) =>
  t.field({
    type: NodeRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, a, ctx) =>
      (await listNodes(ctx.db, ctx.clock.now(), ctx.silenceMs, a.name))[0] ?? null,
  }),
);
