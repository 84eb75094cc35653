/**
 * The hub's own audit log (table hub_events): what the hub itself did or saw — a command issued,
 * its result, its expiry, a node gone dark and back, a node's store replaced or restored
 * from a backup (ingest.ts), a
 * refusal by role (denials.ts). Each insert also NOTIFYs the hub channel in
 * the same transaction (delivered at commit), so every replica's subscribers see it (bus.ts).
 *
 * Hooking in (e.g. paging on `node_down`, issue 17): subscribe to `HubBus.onHubEvent` on any
 * replica, or read hub_events after a cursor (ids only grow); both see each event once per reader.
 */
import { and, asc, desc, eq, gt, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { hubEvents } from '../../db/pg/schema.js';
import type { HubDb } from './db.js';

export const HUB_EVENT_KINDS = [
  'command_issued',
  'command_result',
  'command_expired',
  'node_down',
  'node_up',
  'escalation_sent',
  'escalation_failed',
  'store_changed',
  'store_restored',
  'access_denied',
] as const;
export type HubEventKind = (typeof HUB_EVENT_KINDS)[number];

export interface HubEvent {
  id: number;
  at: number;
  kind: HubEventKind;
  node: string | null;
  service: string | null;
  actor: string | null;
  data: Record<string, unknown>;
}

/** The PostgreSQL NOTIFY channel of the hub (payloads: bus.ts). */
export const HUB_CHANNEL = 'medic_hub';

/** Any drizzle handle that can run statements (the db or a transaction). */
export type HubTx = Pick<HubDb, 'insert' | 'select' | 'update' | 'execute'>;

/** Appends one hub event and notifies every replica at commit. */
export async function recordHubEvent(tx: HubTx, event: Omit<HubEvent, 'id'>): Promise<HubEvent> {
  const [row] = await tx.insert(hubEvents).values(event).returning();
  await tx.execute(sql`SELECT pg_notify(${HUB_CHANNEL}, ${JSON.stringify({ hub: row!.id })})`);
  return toHubEvent(row!);
}

export const toHubEvent = (row: typeof hubEvents.$inferSelect): HubEvent => ({
  ...row,
  kind: row.kind as HubEventKind,
  data: row.data as Record<string, unknown>,
});

export interface HubEventQuery {
  first: number;
  /** Only ids above (oldest first) — or below, with `newestFirst`. */
  after?: number | null;
  node?: string | null;
  kinds?: readonly string[] | null;
  newestFirst?: boolean;
}

export async function listHubEvents(db: HubDb, q: HubEventQuery): Promise<HubEvent[]> {
  const conds: (SQL | undefined)[] = [];
  if (q.node) conds.push(eq(hubEvents.node, q.node));
  if (q.kinds && q.kinds.length > 0) conds.push(inArray(hubEvents.kind, [...q.kinds]));
  if (q.after != null) conds.push(q.newestFirst ? lt(hubEvents.id, q.after) : gt(hubEvents.id, q.after));
  const rows = await db
    .select()
    .from(hubEvents)
    .where(and(...conds))
    .orderBy(q.newestFirst ? desc(hubEvents.id) : asc(hubEvents.id))
    .limit(Math.min(Math.max(q.first, 1), 500));
  return rows.map(toHubEvent);
}
