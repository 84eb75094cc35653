/**
 * `Node`: a host running medic, the same type on the agent (itself) and the hub (every agent as
 * the hub last heard from it): name, version, connected/state, lastSeenAt, downSince, eventCursor
 * and its services counted by state. `nodes { name connected lastSeenAt version counts { state
 * count } }` is one query for both.
 */
import { perBuilder } from './builder.js';

export interface NodeShape {
  name: string;
  version: string | null;
  state: 'connected' | 'unreachable';
  lastSeenAt: number;
  downSince: number | null;
  /** Highest event id of this node's log (at the hub: stored there). */
  cursor: number;
  counts: { state: string; count: number }[];
}

export const nodeType = perBuilder((builder) => {
  const StateCount = builder.objectRef<{ state: string; count: number }>('StateCount').implement({
    fields: (t) => ({ state: t.exposeString('state'), count: t.exposeInt('count') }),
  });
  return builder.objectRef<NodeShape>('Node').implement({
    description: 'A host running medic (`medic serve`): on an agent itself, at the hub as last heard from.',
    fields: (t) => ({
      name: t.exposeString('name'),
      version: t.exposeString('version', { nullable: true }),
      connected: t.boolean({ resolve: (n) => n.state === 'connected' }),
      state: t.exposeString('state', {
        description: 'connected | unreachable (silent longer than the limit; at the hub only)',
      }),
      lastSeenAt: t.field({
        type: 'DateTime',
        description: 'When the hub last heard from it (on an agent: now).',
        resolve: (n) => n.lastSeenAt,
      }),
      downSince: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the hub recorded `node_down` for the current silence (null while connected).',
        resolve: (n) => n.downSince,
      }),
      eventCursor: t.float({
        description: 'Highest event id stored for this node.',
        resolve: (n) => n.cursor,
      }),
      counts: t.field({ type: [StateCount], description: 'Services by state.', resolve: (n) => n.counts }),
    }),
  });
});
