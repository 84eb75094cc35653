/**
 * `nodes` and `node(name)` on an agent: itself (the same `Node` type the hub lists its agents
 * with, shared/node.ts), so `nodes { name connected lastSeenAt version counts { state count } }`
 * runs unchanged against an agent and the hub.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../paths.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { isLocal, localNode } from '../service-id.js';
import { type NodeShape, nodeType } from '../shared/node.js';

const NodeRef = nodeType(builder);
const VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

function self(ctx: ApiContext): NodeShape {
  const counts = new Map<string, number>();
  for (const v of ctx.engine.views()) counts.set(v.state.tag, (counts.get(v.state.tag) ?? 0) + 1);
  const last = ctx.store.listEvents({ first: 1, order: 'desc' }).events[0];
  return {
    name: localNode(ctx),
    version: VERSION,
    state: 'connected',
    lastSeenAt: ctx.now(),
    downSince: null,
    cursor: last?.id ?? 0,
    counts: [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([state, count]) => ({ state, count })),
  };
}

builder.queryFields((t) => ({
  nodes: t.field({
    type: [NodeRef],
    description: 'This host (at the hub: every agent).',
    resolve: (_r, _a, ctx) => [self(ctx)],
  }),
  node: t.field({
    type: NodeRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, a, ctx) => (isLocal(ctx, a.name) ? self(ctx) : null),
  }),
}));
