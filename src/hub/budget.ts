/**
 * The fleet restart budget at the hub (issue 16): leases in PostgreSQL, arbitrated by the pure
 * arbiter (src/fleet/budget.ts) inside one transaction that holds the group's row lock, so two
 * replicas or two requests never both see room for the last slot. A lease ends when the agent
 * reports the restart's outcome or when its TTL passes (a dead agent cannot hold the budget).
 *
 * One transaction arbitrates a batch of one group's requests (src/hub/budget-batch.ts collects
 * them while the previous batch is in PostgreSQL), in four statements whatever the batch size:
 * 1. the upsert of the group's row, which locks it (`ON CONFLICT DO UPDATE` locks the row even
 *    when its `WHERE` skips the write; the limits are written only when they changed);
 * 2. one read of the leases that still count and the waiters, after the lock is held; the time
 *    of the arbitration is read after that read (a lease another request ended meanwhile carries
 *    its finish's time: an arbitration time older than that would stamp the grant that takes its
 *    slot before the lease ended, and the lease table would show one lease too many at once);
 * 3. the arbiter, request by request in arrival order, in memory;
 * 4. one write: the new leases, the waiters that changed, the waiters that left.
 *
 * The group's limits come with each request (they are the agent's policy); the hub keeps the
 * newest limits per group for its views.
 */
import { asc, inArray, sql } from 'drizzle-orm';
import { budgetGroups } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import {
  arbitrate,
  type BudgetLimits,
  type GroupNumbers,
  type GroupState,
  type Lease,
  type LeaseAnswer,
  type LeaseRequest,
  numbers,
  type Waiter,
} from '../fleet/budget.js';
import type { HubDb } from './db.js';
import { HUB_CHANNEL } from './events.js';

type Tx = Parameters<Parameters<HubDb['transaction']>[0]>[0];
type Runner = Pick<Tx, 'execute'>;

/** One request of a batch: its own limits (the agent's policy) and the lease asked for. */
export interface BatchItem {
  limits: BudgetLimits;
  req: LeaseRequest;
}

/** The leases that still count (in flight, or granted after `windowStart`) and every waiter: one query. */
export async function readGroup(
  db: Runner,
  group: string,
  windowStart: number,
  now: number,
): Promise<GroupState> {
  const { rows } = await db.execute<{ leases: Lease[]; waiters: Waiter[] }>(sql`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('id', id, 'node', node, 'service', service,
          'grantedAt', granted_at, 'expiresAt', expires_at, 'endedAt', ended_at, 'operator', operator)), '[]')
         FROM budget_leases
        WHERE "group" = ${group}
          AND (granted_at > ${windowStart} OR (ended_at IS NULL AND expires_at > ${now}))) AS leases,
      (SELECT coalesce(json_agg(json_build_object('node', node, 'service', service,
          'since', since, 'seenAt', seen_at)), '[]')
         FROM budget_waiters WHERE "group" = ${group}) AS waiters`);
  return { leases: rows[0]!.leases, waiters: rows[0]!.waiters };
}

const waiterKey = (w: { node: string; service: string }) => `${w.node}\u0000${w.service}`;

/** Writes what the arbiter changed, in one statement: new leases, changed waiters, waiters gone. */
async function store(tx: Runner, group: string, before: GroupState, after: GroupState): Promise<void> {
  const known = new Set(before.leases.map((l) => l.id));
  const added = after.leases.filter((l) => !known.has(l.id));
  const was = new Map(before.waiters.map((w) => [waiterKey(w), w]));
  const changed = after.waiters.filter((w) => {
    const old = was.get(waiterKey(w));
    return !old || old.since !== w.since || old.seenAt !== w.seenAt;
  });
  const still = new Set(after.waiters.map(waiterKey));
  const gone = before.waiters.filter((w) => !still.has(waiterKey(w)));
  if (added.length + changed.length + gone.length === 0) return;
  await tx.execute(sql`
    WITH added AS (
      INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
      SELECT id, ${group}, node, service, "grantedAt", "expiresAt", "endedAt", operator
        FROM json_to_recordset(${JSON.stringify(added)}::json)
          AS x(id text, node text, service text, "grantedAt" bigint, "expiresAt" bigint, "endedAt" bigint, operator boolean)
      ON CONFLICT DO NOTHING
    ), changed AS (
      INSERT INTO budget_waiters ("group", node, service, since, seen_at)
      SELECT ${group}, node, service, since, "seenAt"
        FROM json_to_recordset(${JSON.stringify(changed)}::json)
          AS w(node text, service text, since bigint, "seenAt" bigint)
      ON CONFLICT ("group", node, service) DO UPDATE SET since = excluded.since, seen_at = excluded.seen_at
    )
    DELETE FROM budget_waiters b
     USING json_to_recordset(${JSON.stringify(gone)}::json) AS g(node text, service text)
     WHERE b."group" = ${group} AND b.node = g.node AND b.service = g.service`);
}

/**
 * Arbitrates a batch of one group's requests in one transaction; the answers in the batch's
 * order. A request sees the grants and waiters of the requests before it in the batch.
 */
export async function requestLeases(
  db: HubDb,
  group: string,
  items: readonly BatchItem[],
  clock: Pick<Clock, 'now'>,
): Promise<LeaseAnswer[]> {
  const newest = items.at(-1)!.limits;
  const windowSec = Math.max(...items.map((i) => i.limits.windowSec));
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      INSERT INTO budget_groups (name, limits, updated_at)
      VALUES (${group}, ${JSON.stringify(newest)}::jsonb, ${clock.now()})
      ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at
        WHERE budget_groups.limits IS DISTINCT FROM excluded.limits`);
    // The time is read once the group is read (see the header): every lease seen ended then
    // ended before it, so no grant is stamped before the end of the lease whose slot it takes.
    const asked = clock.now();
    const before = await readGroup(tx, group, asked - windowSec * 1000, asked);
    const now = Math.max(asked, clock.now());
    let state = before;
    const answers: LeaseAnswer[] = [];
    for (const { limits, req } of items) {
      const r = arbitrate(state, req, now, limits);
      state = r.group;
      answers.push(r.answer);
    }
    await store(tx, group, before, state);
    return answers;
  });
}

/** One request alone (tests, tools); the hub's route batches through src/hub/budget-batch.ts. */
export async function requestLease(
  db: HubDb,
  group: string,
  limits: BudgetLimits,
  req: LeaseRequest,
  clock: Pick<Clock, 'now'>,
): Promise<LeaseAnswer> {
  return (await requestLeases(db, group, [{ limits, req }], clock))[0]!;
}

/**
 * Ends a lease (the restart's outcome is known). Idempotent; null when no such open lease, else
 * its group. The same statement NOTIFYs `{ budget: group }` (delivered at commit to every
 * replica's bus): the slot notifications waiting there are checked at once (budget-wait.ts).
 */
export async function endLease(db: Runner, leaseId: string, now: number): Promise<string | null> {
  const { rows } = await db.execute<{ group: string }>(sql`
    WITH ended AS (
      UPDATE budget_leases SET ended_at = ${now} WHERE id = ${leaseId} AND ended_at IS NULL RETURNING "group")
    SELECT "group", pg_notify(${HUB_CHANNEL}, json_build_object('budget', "group")::text) FROM ended`);
  return rows[0]?.group ?? null;
}

/**
 * Ends several leases in one statement (the route's finishes, group-committed by
 * budget-finish-batch.ts); the ids that were open and are ended now. NOTIFYs `{ budget: group }`
 * per ended lease (PostgreSQL delivers identical payloads of one transaction once).
 */
export async function endLeases(db: Runner, ids: readonly string[], now: number): Promise<Set<string>> {
  const { rows } = await db.execute<{ id: string }>(sql`
    WITH ended AS (
      UPDATE budget_leases SET ended_at = ${now}
       WHERE id IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json)) AND ended_at IS NULL
      RETURNING id, "group")
    SELECT id, pg_notify(${HUB_CHANNEL}, json_build_object('budget', "group")::text) FROM ended`);
  return new Set(rows.map((r) => r.id));
}

/** Ends a lease; false when there is no such open lease. */
export async function finishLease(db: HubDb, leaseId: string, now: number): Promise<boolean> {
  return (await endLease(db, leaseId, now)) !== null;
}

export interface GroupView extends GroupNumbers {
  group: string;
  limits: BudgetLimits;
  waitingServices: { node: string; service: string; since: number }[];
}

/** Every group's numbers now (for GraphQL, metrics and the status views). */
export async function groupViews(db: HubDb, now: number, only?: string[]): Promise<GroupView[]> {
  const rows = await db
    .select({ name: budgetGroups.name, limits: budgetGroups.limits })
    .from(budgetGroups)
    .where(only ? inArray(budgetGroups.name, only) : undefined)
    .orderBy(asc(budgetGroups.name));
  const out: GroupView[] = [];
  for (const { name, limits: raw } of rows) {
    const g = { name, limits: raw as BudgetLimits };
    // Without the row lock: a view may be a moment stale, a lease request is never held up by it.
    const state = await readGroup(db, g.name, now - g.limits.windowSec * 1000, now);
    out.push({
      group: g.name,
      limits: g.limits,
      ...numbers(state, now, g.limits),
      waitingServices: state.waiters
        .map(({ node, service, since }) => ({ node, service, since }))
        // The arbiter's order: oldest first, then by node/service.
        .sort((a, b) => a.since - b.since || (`${a.node}/${a.service}` < `${b.node}/${b.service}` ? -1 : 1)),
    });
  }
  return out;
}
