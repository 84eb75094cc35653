/**
 * The fleet restart budget at the hub (issue 16): leases in PostgreSQL, arbitrated by the pure
 * arbiter (src/fleet/budget.ts) under the groups' row locks (or, opt-in, written only if the
 * group is still as it read it: budget-write.ts), so two replicas or two requests never both see
 * room for the last slot. A lease ends when the agent
 * reports the restart's outcome or when its TTL passes (a dead agent cannot hold the budget).
 *
 * An arbitration (src/hub/budget-tx.ts) answers a batch of requests of any number of groups
 * (src/hub/budget-batch.ts collects them while the previous batch is in PostgreSQL) in five round
 * trips whatever its size (BEGIN, the lock, one read, the arbiter in memory, one write, COMMIT);
 * optimistically in two (one read, one write conditioned on each group's version; another
 * replica's write in between: read again; twice: the locked way).
 *
 * The group's limits come with each request (they are the agent's policy); the hub keeps the
 * newest limits per group for its views.
 */
import { asc, inArray, sql } from 'drizzle-orm';
import { budgetGroups } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import {
  type BudgetLimits,
  type GroupNumbers,
  type GroupState,
  type LeaseAnswer,
  type LeaseRequest,
  numbers,
} from '../fleet/budget.js';
import { readGroups } from './budget-read.js';
import { arbitrateGroups, type BatchItem, type Runner } from './budget-tx.js';
import type { HubDb } from './db.js';
import { HUB_CHANNEL } from './events.js';

export type { BatchItem } from './budget-tx.js';

/** The leases that still count (in flight, or granted after `windowStart`) and every waiter: one query. */
export async function readGroup(
  db: HubDb,
  group: string,
  windowStart: number,
  now: number,
): Promise<GroupState> {
  return (await readGroups(db.$client, [{ name: group, windowStart, since: null, open: [] }], now)).get(
    group,
  )!;
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
  return (await arbitrateGroups(db, new Map([[group, items]]), clock)).get(group)!;
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
 * budget-finish-batch.ts); the ids that were open and are ended now, each with its group. NOTIFYs `{ budget: group }`
 * per ended lease (PostgreSQL delivers identical payloads of one transaction once). On the pool
 * itself (not through drizzle), the ids as one `text[]` parameter: a primary-key probe per id —
 * as a JSON array joined by `IN (SELECT json_array_elements_text(…))` it touched 119–240 buffers
 * per batch of 16 against 73 now, 0.4–0.9 ms against 0.2 (bench/fleet-budget-sql.ts).
 */
export async function endLeases(
  db: HubDb,
  ids: readonly string[],
  now: number,
): Promise<Map<string, string>> {
  const { rows } = await db.$client.query<{ id: string; group: string }>({
    text: `
    WITH ended AS (
      UPDATE budget_leases SET ended_at = $1 WHERE id = ANY($2::text[]) AND ended_at IS NULL
      RETURNING id, "group")
    SELECT id, "group", pg_notify($3, json_build_object('budget', "group")::text) FROM ended`,
    values: [now, ids, HUB_CHANNEL],
  });
  return new Map(rows.map((r) => [r.id, r.group]));
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
