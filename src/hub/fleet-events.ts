/**
 * Reading the agents' audit events stored at the hub (fleet_events) as the shared GraphQL `Event`
 * (src/api/schema/shared/event.ts): the AuditEvent as its agent recorded it, with its node (so its
 * `id` is `node/eventId`). Pages are keyset-paginated: within one node by the agent's event id
 * (the agent's own order); across nodes by (at, node, event id). Cursors are opaque.
 */
import { and, asc, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm';
import { fleetEvents } from '../../db/pg/schema.js';
import type { EventPage, EventShape } from '../api/schema/shared/event.js';
import type { AuditEvent } from '../core/audit.js';
import type { FleetEvent } from './bus.js';
import type { HubDb } from './db.js';

/** An agent's event at the hub: the shared shape plus its raw form (hub-only fields). */
export type FleetEventShape = EventShape & { node: string; eventId: number; event: Record<string, unknown> };

export function fleetEventShape(
  e: Pick<FleetEvent, 'node' | 'eventId' | 'at' | 'service' | 'kind' | 'event'>,
) {
  const raw = e.event as Partial<AuditEvent>;
  return {
    ...raw,
    id: e.eventId,
    at: e.at,
    service: e.service,
    kind: e.kind,
    node: e.node,
    eventId: e.eventId,
    event: e.event,
  } as FleetEventShape;
}

export class CursorError extends Error {}

const encode = (e: { at: number; node: string; eventId: number }) =>
  Buffer.from(JSON.stringify([e.at, e.node, e.eventId])).toString('base64url');

function decode(cursor: string): { at: number; node: string; eventId: number } {
  try {
    const [at, node, eventId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof node === 'string' && typeof eventId === 'number')
      return { at, node, eventId };
  } catch {
    // fall through
  }
  throw new CursorError('invalid cursor');
}

export interface FleetEventQuery {
  node?: string | null;
  service?: string | null;
  kinds?: readonly string[] | null;
  since?: number | null;
  first: number;
  after?: string | null;
  order?: 'asc' | 'desc' | null;
}

/** One page of agent events as an `EventConnection` (newest first unless order asc). */
export async function fleetEventPage(db: HubDb, q: FleetEventQuery): Promise<EventPage> {
  const ascending = q.order === 'asc';
  const conds: (SQL | undefined)[] = [];
  if (q.node) conds.push(eq(fleetEvents.node, q.node));
  if (q.service) conds.push(eq(fleetEvents.service, q.service));
  if (q.kinds && q.kinds.length > 0) conds.push(inArray(fleetEvents.kind, [...q.kinds]));
  if (q.since !== null && q.since !== undefined) conds.push(gte(fleetEvents.at, q.since));
  const cmp = ascending ? sql.raw('>') : sql.raw('<');
  if (q.after) {
    const c = decode(q.after);
    conds.push(
      q.node
        ? sql`${fleetEvents.eventId} ${cmp} ${c.eventId}`
        : sql`(${fleetEvents.at}, ${fleetEvents.node}, ${fleetEvents.eventId}) ${cmp} (${c.at}, ${c.node}, ${c.eventId})`,
    );
  }
  const dir = ascending ? asc : desc;
  const order = q.node
    ? [dir(fleetEvents.eventId)]
    : [dir(fleetEvents.at), dir(fleetEvents.node), dir(fleetEvents.eventId)];
  const rows = await db
    .select()
    .from(fleetEvents)
    .where(and(...conds))
    .orderBy(...order)
    .limit(q.first + 1);
  return eventPageOf(rows, q.first, Boolean(q.after));
}

/** A stored event row as read (the columns the page needs). */
export type FleetEventRow = Pick<FleetEvent, 'node' | 'eventId' | 'at' | 'service' | 'kind'> & {
  event: unknown;
};

/** The page of `rows` (read with a limit of `first + 1`: one more says there is a next page). */
export function eventPageOf(rows: readonly FleetEventRow[], first: number, after: boolean): EventPage {
  const edges = rows.slice(0, first).map((r) => ({
    cursor: encode(r),
    node: fleetEventShape({ ...r, event: r.event as Record<string, unknown> }),
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
