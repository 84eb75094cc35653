/**
 * Events at the hub: the agents' audit events as the agent's own `Event` type (shared:
 * src/api/schema/shared/event.ts; `id` = `node/eventId`, plus hub-only `eventId` and `event`, the
 * AuditEvent as shipped) and the hub's own audit log (`HubEvent`: commands issued/answered/expired,
 * nodes down/up), as paginated queries (`events` like an agent's, `recoveryEvents`, `hubEvents`)
 * and as subscriptions fed by PostgreSQL LISTEN/NOTIFY (bus.ts): a subscriber on any replica sees
 * what every replica stored. Each subscriber holds a bounded buffer (1000 events); one that falls
 * further behind loses the oldest and can catch up with the queries.
 */
import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import { createGraphQLError, Repeater, SlidingBuffer } from 'graphql-yoga';
import { fleetEvents } from '../../../db/pg/schema.js';
import { enumTypes } from '../../api/schema/shared/enums.js';
import { eventTypes } from '../../api/schema/shared/event.js';
import type { FleetEvent } from '../bus.js';
import { type HubEvent, listHubEvents } from '../events.js';
import { CursorError, type FleetEventShape, fleetEventPage, fleetEventShape } from '../fleet-events.js';
import { findService } from '../nodes.js';
import { builder, type HubContext } from './builder.js';
import { ServiceRef, serviceAt } from './service.js';

const SUBSCRIBER_BUFFER = 1000;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

export const { EventRef, EventConnectionRef } = eventTypes(builder);
const { EventKindEnum, EventOrderEnum } = enumTypes(builder);

builder.objectFields(EventRef, (t) => ({
  eventId: t.float({
    description: "Hub only: the event's id in its agent's log.",
    resolve: (e) => (e as FleetEventShape).eventId,
  }),
  event: t.field({
    type: 'JSON',
    description: 'Hub only: the AuditEvent as the agent recorded it.',
    resolve: (e) => (e as FleetEventShape).event,
  }),
  serviceView: t.field({
    type: ServiceRef,
    nullable: true,
    description: 'The service now, as its node last shipped it (the hub keeps no view per event).',
    resolve: (e, _a, ctx: HubContext) => (e.service ? serviceAt(ctx, e.node, e.service) : null),
  }),
}));

function pageSize(first: number | null | undefined): number {
  const n = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw createGraphQLError(`first must be between 1 and ${MAX_PAGE}`, {
      extensions: { code: 'VALIDATION' },
    });
  return n;
}

async function eventsOf(ctx: HubContext, q: Parameters<typeof fleetEventPage>[1]) {
  try {
    return await fleetEventPage(ctx.db, q);
  } catch (err) {
    if (err instanceof CursorError)
      throw createGraphQLError('invalid cursor', { extensions: { code: 'VALIDATION' } });
    throw err;
  }
}

builder.queryField('events', (t) =>
  t.field({
    type: EventConnectionRef,
    description: "The agents' audit logs, cursor-paginated (of one node, or the fleet by time).",
    args: {
      node: t.arg.string(),
      service: t.arg.string({ description: 'Of every node running that name, unless `node` is given.' }),
      kinds: t.arg({ type: [EventKindEnum] }),
      since: t.arg({ type: 'DateTime' }),
      first: t.arg.int({ description: `Page size (default ${DEFAULT_PAGE}, max ${MAX_PAGE}).` }),
      after: t.arg.string({ description: 'Cursor of the last edge seen.' }),
      order: t.arg({ type: EventOrderEnum, description: 'desc (newest first, default) or asc.' }),
    },
    resolve: (_r, a, ctx) => eventsOf(ctx, { ...a, first: pageSize(a.first) }),
  }),
);

builder.objectField(ServiceRef, 'events', (t) =>
  t.field({
    type: EventConnectionRef,
    description: "This service's audit events, newest first.",
    args: {
      kinds: t.arg({ type: [EventKindEnum] }),
      first: t.arg.int(),
      after: t.arg.string(),
      order: t.arg({ type: EventOrderEnum }),
    },
    // The newest N without a cursor or filter (the status page's cards) join the request's one
    // batched read (recent-events.ts); any other page is its own query.
    resolve: (s, a, ctx: HubContext) =>
      s.node && !a.after && !a.kinds?.length && a.order !== 'asc'
        ? ctx.recentEvents.load(s.node, s.name, pageSize(a.first))
        : eventsOf(ctx, { ...a, node: s.node, service: s.name, first: pageSize(a.first) }),
  }),
);

export const HubEventRef = builder.objectRef<HubEvent>('HubEvent').implement({
  description:
    "The hub's own audit log: command_issued, command_result, command_expired, node_down, node_up.",
  fields: (t) => ({
    id: t.float({ resolve: (e) => e.id }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    kind: t.exposeString('kind'),
    node: t.exposeString('node', { nullable: true }),
    service: t.exposeString('service', { nullable: true }),
    actor: t.exposeString('actor', { nullable: true }),
    data: t.field({ type: 'JSON', resolve: (e) => e.data }),
  }),
});

const FleetEventPage = builder
  .objectRef<{ events: FleetEventShape[]; hasNextPage: boolean }>('FleetEventPage')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [EventRef], resolve: (p) => p.events }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.string({
        nullable: true,
        resolve: (p) => {
          const last = p.events.at(-1);
          return last ? `${last.node}/${last.eventId}` : null;
        },
      }),
    }),
  });

builder.queryField('recoveryEvents', (t) =>
  t.field({
    type: FleetEventPage,
    description:
      'Agent events, newest first, of one node (and service), or of the fleet. `service` without `node` ' +
      "needs the name to be unique in the fleet. `after` is the previous page's endCursor.",
    args: {
      node: t.arg.string({ required: false }),
      service: t.arg.string({ required: false }),
      kinds: t.arg.stringList({ required: false }),
      first: t.arg.int({ required: true, defaultValue: 50 }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_r, a, ctx) => {
      let node = a.node ?? null;
      if (a.service && !node) {
        const found = await findService(ctx.db, null, a.service);
        if (!found.ok) return { events: [], hasNextPage: false };
        node = found.service.node;
      }
      const first = Math.min(Math.max(a.first, 1), 500);
      const conds: (SQL | undefined)[] = [];
      if (node) conds.push(eq(fleetEvents.node, node));
      if (a.service) conds.push(eq(fleetEvents.service, a.service));
      if (a.kinds && a.kinds.length > 0) conds.push(inArray(fleetEvents.kind, a.kinds));
      if (a.after) {
        const slash = a.after.lastIndexOf('/');
        const [n, id] = [a.after.slice(0, slash), Number(a.after.slice(slash + 1))];
        // Newest first: per node by event id; across nodes by (event id, node), stable and indexed enough.
        conds.push(
          node
            ? lt(fleetEvents.eventId, id)
            : or(lt(fleetEvents.eventId, id), and(eq(fleetEvents.eventId, id), lt(fleetEvents.node, n))),
        );
      }
      const rows = await ctx.db
        .select()
        .from(fleetEvents)
        .where(and(...conds))
        .orderBy(desc(fleetEvents.eventId), desc(fleetEvents.node))
        .limit(first + 1);
      return {
        events: rows
          .slice(0, first)
          .map((r) => fleetEventShape({ ...r, event: r.event as Record<string, unknown> })),
        hasNextPage: rows.length > first,
      };
    },
  }),
);

builder.queryField('hubEvents', (t) =>
  t.field({
    type: [HubEventRef],
    description: "The hub's audit log, oldest first after `after` (an id), or newest first.",
    args: {
      node: t.arg.string({ required: false }),
      kinds: t.arg.stringList({ required: false }),
      first: t.arg.int({ required: true, defaultValue: 50 }),
      after: t.arg.float({ required: false }),
      newestFirst: t.arg.boolean({ required: false }),
    },
    resolve: (_r, a, ctx) =>
      listHubEvents(ctx.db, {
        first: a.first,
        after: a.after,
        node: a.node,
        kinds: a.kinds,
        newestFirst: a.newestFirst ?? false,
      }),
  }),
);

/** A Repeater over one bus stream, ended by the client's disconnect. */
function stream<T>(signal: AbortSignal, attach: (push: (v: T) => void) => () => void): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    const detach = attach((v) => void push(v));
    const onAbort = () => stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', onAbort, { once: true });
    await stop;
    signal.removeEventListener('abort', onAbort);
    detach();
  }, new SlidingBuffer(SUBSCRIBER_BUFFER));
}

builder.subscriptionField('recoveryEvents', (t) =>
  t.field({
    type: EventRef,
    description:
      'Agent events as any hub replica stores them, optionally filtered by node, service and kinds.',
    args: {
      node: t.arg.string({ required: false }),
      service: t.arg.string({ required: false }),
      kinds: t.arg({ type: [EventKindEnum], required: false }),
    },
    subscribe: (_r, a, ctx) => {
      const kinds = a.kinds && a.kinds.length > 0 ? new Set<string>(a.kinds) : null;
      return stream<FleetEvent>(ctx.signal, (push) =>
        ctx.bus.onFleetEvent((e) => {
          if (a.node && e.node !== a.node) return;
          if (a.service && e.service !== a.service) return;
          if (kinds && !kinds.has(e.kind)) return;
          push(e);
        }),
      );
    },
    resolve: (e: FleetEvent) => fleetEventShape(e),
  }),
);

builder.subscriptionField('hubEvents', (t) =>
  t.field({
    type: HubEventRef,
    description: 'The hub\'s audit events as any replica commits them (e.g. kinds: ["node_down"]).',
    args: { node: t.arg.string({ required: false }), kinds: t.arg.stringList({ required: false }) },
    subscribe: (_r, a, ctx) => {
      const kinds = a.kinds && a.kinds.length > 0 ? new Set(a.kinds) : null;
      return stream<HubEvent>(ctx.signal, (push) =>
        ctx.bus.onHubEvent((e) => {
          if (a.node && e.node !== a.node) return;
          if (kinds && !kinds.has(e.kind)) return;
          push(e);
        }),
      );
    },
    resolve: (e) => e,
  }),
);
