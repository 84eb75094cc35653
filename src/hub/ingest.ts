/**
 * Stores one agent batch in ONE SQL statement (one round trip, atomic by itself): the node row
 * (heartbeat, version, store identity), the events (`jsonb_array_elements` of the batch, one
 * multi-row INSERT … ON CONFLICT (node, event id) DO NOTHING: a re-sent batch changes nothing),
 * the service views the agent sent (one multi-row upsert; agents send changed views only, plus
 * full sets: an unchanged view is not rewritten, so `updated_at` is when it last changed), the contract snapshot and maintenance windows when
 * the agent sent them (they come only when changed), the node's cursor, `node_up` / `store_changed` hub
 * events, one NOTIFY per batch, and the commands waiting for the node (marked delivered). The
 * node row is locked first (`FOR UPDATE`), so two batches of one node never interleave; a batch
 * only ever touches rows of its own node. Command results, when the batch has any, are stored
 * first (commands.ts), in one transaction with the statement: a command answered in this batch
 * is not delivered again in its reply, and nobody sees it done before the views that came with it.
 *
 * The statement is built once and run as a named prepared statement (`medic_hub_ingest`): each
 * pooled connection parses and plans it once, a batch sends only its values. Planning this
 * statement took ~1.3 ms of PostgreSQL's CPU per batch, about as much as inserting its 100 events
 * (docs/BENCHMARKS.md, "Fleet hub, run 4").
 *
 * Store identity: a batch names the agent's store (`store`, a random id made with its SQLite
 * database). The hub numbers a node's events across its stores: hub event id = the node's
 * `id_offset` + the agent's id. When a node's store changes (the agent's database was lost and
 * recreated: its ids restart at 1), the new store's handshake (`after` null) sets the offset to
 * the hub's cursor, audited once as `store_changed`, and the reply's cursor (always in the
 * agent's numbering) is 0: the new store ships from its first event, nothing is taken for a
 * duplicate of the old store's. A batch with events from the previous store after that (`after`
 * set, another store) is refused (STORE_CHANGED): two agents are claiming one node name.
 *
 * A store restored from a backup keeps its identity but holds fewer events than the hub has of
 * it; its next ids would repeat ids the hub holds and be taken for re-sends. The handshake says
 * the store's newest id (`newest`); when the hub holds more, the offset moves so that the next
 * id (newest + 1) follows the hub's cursor, audited once as `store_restored`, and the reply's
 * cursor is `newest`: the store ships its new events, none taken for duplicates. (The events the
 * copy lost stay at the hub, numbered as they were.)
 */
import { fillPlaceholders, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import * as schema from '../../db/pg/schema.js';
import { nodes } from '../../db/pg/schema.js';
import type { Batch, FleetCommand } from '../fleet/protocol.js';
import { applyResults } from './commands.js';
import type { HubDb } from './db.js';
import { HUB_CHANNEL } from './events.js';

export type IngestResult =
  | { ok: true; cursor: number; stored: number; commands: FleetCommand[] }
  | { ok: false; code: 'GAP'; cursor: number; message: string }
  | { ok: false; code: 'STORE_CHANGED'; message: string };

type Row = {
  old_cursor: string;
  cursor: string;
  off: string;
  ok: boolean;
  stale: boolean;
  old_store: string | null;
  stored: string;
  commands: {
    id: number;
    service: string;
    operation: FleetCommand['operation'];
    args: Record<string, unknown>;
    actor: string;
    role: FleetCommand['role'];
    reason: string;
    expires_at: number;
  }[];
};

/** The values of one batch, by the placeholder names of STATEMENT. */
function valuesOf(batch: Batch, now: number): Record<string, unknown> {
  return {
    node: batch.node,
    version: batch.version,
    now,
    store: batch.store ?? null,
    after: batch.after,
    newest: batch.after === null ? (batch.newest ?? null) : null,
    hasContract: batch.contract !== undefined,
    contract: batch.contract === undefined ? null : JSON.stringify(batch.contract),
    hasWindows: batch.maintenance !== undefined,
    windows: batch.maintenance === undefined ? null : JSON.stringify(batch.maintenance),
    last: batch.events.at(-1)?.id ?? null,
    events: JSON.stringify(batch.events),
    services: JSON.stringify(batch.services),
  };
}

const p = (name: string) => sql.placeholder(name);
const node = p('node');
const version = p('version');
const now = p('now');
const store = p('store');
const after = p('after');
const newest = p('newest');
const last = p('last');

/** The one statement; see the file comment. Every value is a bound parameter, never spliced. */
const STATEMENT = new PgDialect().sqlToQuery(sql`
WITH old AS (
  SELECT cursor, down_since, store_id, id_offset FROM ${nodes} WHERE name = ${node} FOR UPDATE
), d AS (
  SELECT old.*,
    -- another store of this node: its ids restart at 1
    (${store}::text IS NOT NULL AND old.store_id IS NOT NULL AND old.store_id <> ${store}::text) AS other
  FROM old
), r AS (
  SELECT d.*,
    -- the same store holding fewer events than the hub has of it: restored from an older copy
    (NOT d.other AND ${after}::bigint IS NULL AND ${newest}::bigint IS NOT NULL
      AND d.cursor - d.id_offset > ${newest}::bigint) AS restored
  FROM d
), e AS (
  SELECT r.*,
    (r.other AND ${after}::bigint IS NULL) AS switch,
    (r.other AND ${after}::bigint IS NOT NULL) AS stale,
    CASE WHEN r.other AND ${after}::bigint IS NULL THEN r.cursor
      WHEN r.restored THEN r.cursor - ${newest}::bigint
      ELSE r.id_offset END AS off
  FROM r
), f AS (
  SELECT e.*, (NOT e.stale AND (${after}::bigint IS NULL OR e.off + ${after}::bigint <= e.cursor)) AS ok
  FROM e
), touched AS (
  UPDATE ${nodes} AS n SET
    version = ${version}, last_seen_at = ${now}, down_since = NULL,
    store_id = CASE WHEN f.stale THEN f.store_id ELSE coalesce(${store}::text, f.store_id) END,
    id_offset = f.off,
    -- the runtime contract comes only when it changed (runtimeContract at the hub reads it)
    contract = CASE WHEN ${p('hasContract')}::boolean AND NOT f.stale THEN ${p('contract')}::jsonb ELSE n.contract END,
    -- so do the maintenance windows (maintenanceWindows at the hub reads them)
    maintenance = CASE WHEN ${p('hasWindows')}::boolean AND NOT f.stale THEN ${p('windows')}::jsonb ELSE n.maintenance END,
    cursor = CASE WHEN f.ok AND ${last}::bigint IS NOT NULL THEN greatest(f.cursor, f.off + ${last}::bigint) ELSE f.cursor END
  FROM f WHERE n.name = ${node}
  RETURNING f.cursor AS old_cursor, n.cursor, f.off, f.ok, f.stale, f.switch, f.restored, f.id_offset AS old_off,
    f.store_id AS old_store, f.down_since AS was_down
), ins AS (
  INSERT INTO fleet_events (node, event_id, at, service, kind, event, received_at)
  SELECT ${node}::text, t.off + (ev->>'id')::bigint, (ev->>'at')::bigint, ev->>'service', ev->>'kind', ev, ${now}::bigint
  FROM touched t, jsonb_array_elements(${p('events')}::jsonb) AS ev
  WHERE t.ok
  ON CONFLICT DO NOTHING
  RETURNING 1
), views AS (
  INSERT INTO fleet_services (node, name, state, view, updated_at)
  SELECT ${node}::text, v->>'name', v->'state'->>'tag', v, ${now}::bigint
  FROM touched t, jsonb_array_elements(${p('services')}::jsonb) AS v
  WHERE t.ok
  ON CONFLICT (node, name) DO UPDATE
    SET state = excluded.state, view = excluded.view, updated_at = excluded.updated_at
    -- a view sent again unchanged (a full set) is not written: updated_at is when it last changed
    WHERE fleet_services.view IS DISTINCT FROM excluded.view
  RETURNING 1
), hub AS (
  INSERT INTO hub_events (at, kind, node, service, actor, data)
  SELECT ${now}::bigint, 'node_up', ${node}::text, NULL::text, NULL::text,
    jsonb_build_object('downSince', t.was_down, 'downForMs', ${now}::bigint - t.was_down, 'version', ${version}::text)
  FROM touched t WHERE t.was_down IS NOT NULL
  UNION ALL
  SELECT ${now}::bigint, 'store_changed', ${node}::text, NULL::text, NULL::text,
    jsonb_build_object('from', t.old_store, 'to', ${store}::text, 'idOffset', t.off, 'version', ${version}::text)
  FROM touched t WHERE t.switch
  UNION ALL
  SELECT ${now}::bigint, 'store_restored', ${node}::text, NULL::text, NULL::text,
    jsonb_build_object('store', ${store}::text, 'hubHeld', t.old_cursor - t.old_off, 'newest', ${newest}::bigint,
      'idOffset', t.off, 'version', ${version}::text)
  FROM touched t WHERE t.restored
  RETURNING id
), cmds AS (
  UPDATE fleet_commands AS c SET
    state = 'delivered', delivered_at = coalesce(c.delivered_at, ${now}), deliveries = c.deliveries + 1
  FROM touched t
  WHERE t.ok AND c.node = ${node} AND c.state IN ('pending', 'delivered') AND c.expires_at > ${now}
  RETURNING c.id, c.service, c.operation, c.args, c.actor, c.role, c.reason, c.expires_at
), notes AS (
  -- One NOTIFY for the batch's new events and one per hub event (delivered at commit, bus.ts).
  SELECT pg_notify(${HUB_CHANNEL}, json_build_object(
    'node', ${node}::text, 'from', t.off + coalesce(${after}::bigint, 0), 'to', t.off + ${last}::bigint)::text)
  FROM touched t WHERE EXISTS (SELECT 1 FROM ins)
  UNION ALL
  SELECT pg_notify(${HUB_CHANNEL}, json_build_object('hub', h.id)::text) FROM hub h
)
SELECT t.old_cursor, t.cursor, t.off, t.ok, t.stale, t.old_store,
  (SELECT count(*) FROM ins) AS stored,
  (SELECT count(*) FROM views) AS views,
  (SELECT count(*) FROM notes) AS notified,
  (SELECT coalesce(json_agg(c ORDER BY c.id), '[]'::json) FROM cmds c) AS commands
FROM touched t`);

/** The pool under drizzle (`$client` of drizzle's node-postgres database). */
const poolOf = (db: HubDb) => (db as HubDb & { $client: pg.Pool }).$client;

async function run(on: pg.Pool | pg.PoolClient, batch: Batch, now: number): Promise<Row[]> {
  const values = fillPlaceholders(STATEMENT.params, valuesOf(batch, now));
  return (await on.query<Row>({ name: 'medic_hub_ingest', text: STATEMENT.sql, values })).rows;
}

/**
 * The batch's command results and the statement in one transaction on one connection: a hub
 * mutation waiting for its command (schema/commands.ts) must not see it done while the service's
 * view is still the old one.
 */
async function runWithResults(db: HubDb, batch: Batch, now: number): Promise<Row[]> {
  const client = await poolOf(db).connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await applyResults(drizzle(client, { schema }), batch.node, batch.results, now);
    const rows = await run(client, batch, now);
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    // A connection that cannot even roll back is dropped, not returned to the pool.
    client.release(broken);
  }
}

export async function ingest(db: HubDb, batch: Batch, now: number): Promise<IngestResult> {
  let [row] =
    batch.results.length > 0 ? await runWithResults(db, batch, now) : await run(poolOf(db), batch, now);
  if (!row) {
    // A node's first batch: its row, then the same statement.
    await db
      .insert(nodes)
      .values({
        name: batch.node,
        version: batch.version,
        firstSeenAt: now,
        lastSeenAt: now,
        storeId: batch.store ?? null,
      })
      .onConflictDoNothing();
    [row] = await run(poolOf(db), batch, now);
  }
  if (!row) throw new Error(`node ${batch.node} has no row after inserting it`);
  const off = Number(row.off);
  const held = Number(row.old_cursor) - off;
  if (row.stale)
    return {
      ok: false,
      code: 'STORE_CHANGED',
      message: `node ${batch.node} ships from another store now (${row.old_store}); this batch comes from store ${batch.store}: is a second agent using the node name ${batch.node}?`,
    };
  if (!row.ok)
    return {
      ok: false,
      code: 'GAP',
      cursor: held,
      message: `batch starts after event ${batch.after} but the hub holds events up to ${held} only`,
    };
  return {
    ok: true,
    cursor: Number(row.cursor) - off,
    stored: Number(row.stored),
    commands: row.commands.map((c) => ({
      id: Number(c.id),
      service: c.service,
      operation: c.operation,
      args: c.args,
      actor: c.actor,
      role: c.role,
      reason: c.reason,
      expiresAt: Number(c.expires_at),
    })),
  };
}
