/**
 * The hub's escalation outbox in PostgreSQL (issue 17, a node gone dark), exactly once across
 * replicas:
 * - **Planning** (`planNodeEscalations`): any replica walks hub_events after the planner's cursor
 *   (row `hub_escalation_cursor`, locked `FOR UPDATE SKIP LOCKED`: one planner at a time, the
 *   others skip the round) and writes one outbox row per target and step. Rows are unique on
 *   (dedup key, action, target), so a re-read event (the walk re-reads a margin below the cursor:
 *   ids are taken before commit, a lower one may commit later) writes nothing twice. A resolve is
 *   written only when its trigger was.
 * - **Delivery** (`deliverOne`): a replica claims the oldest due row whose earlier rows for the
 *   same key and target are settled (a resolve never overtakes its trigger) with
 *   `FOR UPDATE SKIP LOCKED`, keeps the lock for the one HTTP attempt and settles it in the same
 *   transaction (delivered → `escalation_sent`; bound or permanent failure → `escalation_failed`,
 *   both hub events). A replica killed mid-attempt rolls back and frees the row at once; another
 *   replica retries it, and the dedup key makes that harmless at the receiver.
 */
import { and, asc, gt, inArray, sql } from 'drizzle-orm';
import { hubEscalationCursor, hubEscalations, hubEvents } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import { nodeEscalationStep } from '../core/node-escalation.js';
import { type EscalationConfig, targetsOf } from '../escalation/config.js';
import { type DeliveryOutcome, settlement } from '../escalation/deliver.js';
import { buildNodeMessage, type EscalationMessage } from '../escalation/message.js';
import { type FetchLike, sendOnce } from '../escalation/send.js';
import type { HubDb } from './db.js';
import { type HubEvent, recordHubEvent, toHubEvent } from './events.js';

/** Re-read below the cursor: hub event ids are taken before commit (see bus.ts). */
const MARGIN = 256;
const KINDS = ['node_down', 'node_up'];

/**
 * Starts the cursor at the newest hub event the first time escalation runs on this database:
 * silences recorded before paging was configured are not paged.
 */
export async function initEscalationCursor(db: HubDb): Promise<void> {
  await db.execute(sql`
    INSERT INTO ${hubEscalationCursor} (key, cursor, floor)
    SELECT 'main', coalesce(max(id), 0), coalesce(max(id), 0) FROM ${hubEvents}
    ON CONFLICT (key) DO NOTHING`);
}

/** Plans the steps of hub events after the cursor; returns how many outbox rows were written. */
export async function planNodeEscalations(db: HubDb, config: EscalationConfig, now: number): Promise<number> {
  const targets = targetsOf(config);
  return db.transaction(async (tx) => {
    const locked = await tx.execute<{ cursor: string; floor: string }>(sql`
      SELECT cursor, floor FROM ${hubEscalationCursor} WHERE key = 'main' FOR UPDATE SKIP LOCKED`);
    const row = locked.rows[0];
    if (!row) return 0; // another replica is planning (or the cursor is not set up yet)
    const cursor = Number(row.cursor);
    const events = await tx
      .select()
      .from(hubEvents)
      .where(
        and(gt(hubEvents.id, Math.max(Number(row.floor), cursor - MARGIN)), inArray(hubEvents.kind, KINDS)),
      )
      .orderBy(asc(hubEvents.id))
      .limit(500);
    let written = 0;
    for (const event of events.map(toHubEvent)) written += await planOne(tx, event, targets, config, now);
    const last = events.at(-1)?.id ?? 0;
    if (last > cursor)
      await tx.execute(sql`UPDATE ${hubEscalationCursor} SET cursor = ${last} WHERE key = 'main'`);
    return written;
  });
}

type Tx = Parameters<Parameters<HubDb['transaction']>[0]>[0];

async function planOne(
  tx: Tx,
  event: HubEvent,
  targets: string[],
  config: EscalationConfig,
  now: number,
): Promise<number> {
  const step = nodeEscalationStep(event);
  if (!step) return 0;
  const message = buildNodeMessage({ step, eventId: event.id, publicUrl: config.publicUrl });
  let written = 0;
  for (const target of targets) {
    // Typed, so the same row reads as VALUES (trigger) and as a SELECT list (resolve).
    const values = sql`${event.id}::bigint, ${step.node}::text, ${target}::text, ${step.action}::text,
      ${step.dedupKey}::text, ${JSON.stringify(message)}::jsonb, ${now}::bigint, ${now}::bigint`;
    const into = sql`INSERT INTO ${hubEscalations}
      (event_id, node, target, action, dedup_key, message, created_at, next_attempt_at)`;
    // A resolve only follows a trigger that was planned (paging may have started mid-silence).
    const res =
      step.action === 'trigger'
        ? await tx.execute(sql`${into} VALUES (${values}) ON CONFLICT DO NOTHING`)
        : await tx.execute(sql`${into} SELECT ${values}
            WHERE EXISTS (SELECT 1 FROM ${hubEscalations}
              WHERE dedup_key = ${step.dedupKey} AND action = 'trigger' AND target = ${target})
            ON CONFLICT DO NOTHING`);
    written += res.rowCount ?? 0;
  }
  return written;
}

type ClaimedRow = {
  id: string;
  node: string;
  target: string;
  action: string;
  dedup_key: string;
  message: EscalationMessage;
  attempts: number;
};

export interface Delivered {
  target: string;
  outcome: DeliveryOutcome;
  /** The audit event when the row settled (sent or given up). */
  event: HubEvent | null;
}

/**
 * Claims and attempts one due row; null when none is due (or every due one is being delivered
 * by another replica).
 */
export async function deliverOne(
  db: HubDb,
  config: EscalationConfig,
  clock: Clock,
  opts: { fetch?: FetchLike; random?: () => number } = {},
): Promise<Delivered | null> {
  return db.transaction(async (tx) => {
    const claimed = await tx.execute<ClaimedRow>(sql`
      SELECT o.id, o.node, o.target, o.action, o.dedup_key, o.message, o.attempts
      FROM ${hubEscalations} o
      WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ${clock.now()}
        AND NOT EXISTS (
          SELECT 1 FROM ${hubEscalations} p
          WHERE p.dedup_key = o.dedup_key AND p.target = o.target AND p.id < o.id
            AND p.delivered_at IS NULL AND p.failed_at IS NULL)
      ORDER BY o.id LIMIT 1
      FOR UPDATE OF o SKIP LOCKED`);
    const row = claimed.rows[0];
    if (!row) return null;
    const id = Number(row.id);
    const result = await sendOnce(row.target, row.message, config, clock, opts.fetch);
    const now = clock.now();
    const s = settlement(row.attempts, result, config.retry, now, (opts.random ?? Math.random)());
    if (s.kind === 'retry') {
      await tx.execute(sql`
        UPDATE ${hubEscalations} SET attempts = ${s.attempts}, next_attempt_at = ${s.nextAt},
          last_error = ${s.error} WHERE id = ${id}`);
      return { target: row.target, outcome: s.outcome, event: null };
    }
    const ok = s.kind === 'delivered';
    await tx.execute(
      ok
        ? sql`UPDATE ${hubEscalations} SET attempts = ${s.attempts}, delivered_at = ${now} WHERE id = ${id}`
        : sql`UPDATE ${hubEscalations} SET attempts = ${s.attempts}, failed_at = ${now},
            last_error = ${s.error} WHERE id = ${id}`,
    );
    // Speak once: the settling transaction records the one audit event of this row.
    const event = await recordHubEvent(tx, {
      at: now,
      kind: ok ? 'escalation_sent' : 'escalation_failed',
      node: row.node,
      service: null,
      actor: 'medic',
      data: {
        target: row.target,
        action: row.action,
        dedupKey: row.dedup_key,
        outboxId: id,
        attempts: s.attempts,
        ...(ok ? {} : { error: s.error }),
      },
    });
    return { target: row.target, outcome: ok ? 'delivered' : 'failed', event };
  });
}

/** When the next unsettled row is due (null: none). */
export async function nextEscalationAt(db: HubDb): Promise<number | null> {
  const r = await db.execute<{ at: string | null }>(sql`
    SELECT min(next_attempt_at) AS at FROM ${hubEscalations}
    WHERE delivered_at IS NULL AND failed_at IS NULL`);
  const at = r.rows[0]?.at;
  return at == null ? null : Number(at);
}
