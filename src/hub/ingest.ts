/**
 * Stores one agent batch in one transaction: the node row (heartbeat, version), the events
 * (ON CONFLICT DO NOTHING on node + event id: a re-sent batch changes nothing), the service
 * views, the node's cursor, the results of its commands; and reads the commands waiting for it.
 * The node row is locked first (the upsert), so two batches of one node never interleave; a batch
 * only ever touches rows of its own node. A node the liveness sweep had marked down is up again
 * (`node_up`). New events are NOTIFYed at commit (bus.ts) for every replica's subscribers.
 */
import { eq, sql } from 'drizzle-orm';
import { fleetEvents, fleetServices, nodes } from '../../db/pg/schema.js';
import type { Batch, FleetCommand } from '../fleet/protocol.js';
import { applyResults, deliverCommands } from './commands.js';
import type { HubDb } from './db.js';
import { HUB_CHANNEL, recordHubEvent } from './events.js';

export type IngestResult =
  | { ok: true; cursor: number; stored: number; commands: FleetCommand[] }
  | { ok: false; code: 'GAP'; cursor: number; message: string };

export async function ingest(db: HubDb, batch: Batch, now: number): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    // Lock the node row and read its old down_since (FOR UPDATE re-reads the newest version after
    // waiting, so two batches of one node see each other's changes); a new node is inserted first.
    const touch = () =>
      tx.execute<{ cursor: string; was_down: string | null }>(sql`
        UPDATE ${nodes} AS n SET version = ${batch.version}, last_seen_at = ${now}, down_since = NULL
        FROM (SELECT down_since FROM ${nodes} WHERE name = ${batch.node} FOR UPDATE) AS old
        WHERE n.name = ${batch.node}
        RETURNING n.cursor, old.down_since AS was_down`);
    let [row] = (await touch()).rows;
    if (!row) {
      await tx
        .insert(nodes)
        .values({ name: batch.node, version: batch.version, firstSeenAt: now, lastSeenAt: now })
        .onConflictDoNothing();
      [row] = (await touch()).rows;
    }
    const cursor = Number(row!.cursor);
    if (row!.was_down !== null) {
      const downSince = Number(row!.was_down);
      await recordHubEvent(tx, {
        at: now,
        kind: 'node_up',
        node: batch.node,
        service: null,
        actor: null,
        data: { downSince, downForMs: now - downSince, version: batch.version },
      });
    }
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
    if (stored > 0) {
      const payload = JSON.stringify({ node: batch.node, from: batch.after ?? 0, to: last });
      await tx.execute(sql`SELECT pg_notify(${HUB_CHANNEL}, ${payload})`);
    }
    if (batch.results.length > 0) await applyResults(tx, batch.node, batch.results, now);
    const commands = await deliverCommands(tx, batch.node, now);
    return { ok: true as const, cursor: next, stored, commands };
  });
}
