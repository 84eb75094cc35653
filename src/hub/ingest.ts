/**
 * Stores one agent batch in one transaction: the node row (heartbeat, version), the events
 * (ON CONFLICT DO NOTHING on node + event id: a re-sent batch changes nothing), the service
 * views, and the node's cursor. The node row is locked first (the upsert), so two batches of one
 * node never interleave; a batch only ever touches rows of its own node.
 */
import { eq, sql } from 'drizzle-orm';
import { fleetEvents, fleetServices, nodes } from '../../db/pg/schema.js';
import type { Batch } from '../fleet/protocol.js';
import type { HubDb } from './db.js';

export type IngestResult =
  | { ok: true; cursor: number; stored: number }
  | { ok: false; code: 'GAP'; cursor: number; message: string };

export async function ingest(db: HubDb, batch: Batch, now: number): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(nodes)
      .values({ name: batch.node, version: batch.version, firstSeenAt: now, lastSeenAt: now })
      .onConflictDoUpdate({ target: nodes.name, set: { version: batch.version, lastSeenAt: now } })
      .returning({ cursor: nodes.cursor });
    const cursor = row!.cursor;
    // The batch covers (after, last id]; anything above the cursor would leave a hole.
    if (batch.after !== null && batch.after > cursor) {
      return {
        ok: false as const,
        code: 'GAP' as const,
        cursor,
        message: `batch starts after event ${batch.after} but the hub holds events up to ${cursor} only`,
      };
    }
    let stored = 0;
    if (batch.events.length > 0) {
      const inserted = await tx
        .insert(fleetEvents)
        .values(
          batch.events.map((e) => ({
            node: batch.node,
            eventId: e.id,
            at: e.at,
            service: e.service,
            kind: e.kind,
            event: e,
            receivedAt: now,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: fleetEvents.eventId });
      stored = inserted.length;
    }
    if (batch.services.length > 0) {
      await tx
        .insert(fleetServices)
        .values(
          batch.services.map((v) => ({
            node: batch.node,
            name: v.name,
            state: v.state.tag,
            view: v,
            updatedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [fleetServices.node, fleetServices.name],
          set: { state: sql`excluded.state`, view: sql`excluded.view`, updatedAt: sql`excluded.updated_at` },
        });
    }
    const last = batch.events.at(-1)?.id ?? cursor;
    const next = Math.max(cursor, last);
    if (next !== cursor) await tx.update(nodes).set({ cursor: next }).where(eq(nodes.name, batch.node));
    return { ok: true as const, cursor: next, stored };
  });
}
