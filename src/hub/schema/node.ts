/** `Node` (shared with the agent: src/api/schema/shared/node.ts; an agent as the hub last heard from it), `nodes` and `node(name)`. */
import { nodeType } from '../../api/schema/shared/node.js';
import { listNodes } from '../nodes.js';
import { builder } from './builder.js';

export const NodeRef = nodeType(builder);

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
