/**
 * The fleet restart budget at the hub (issue 16): leases in PostgreSQL, arbitrated by the pure
 * arbiter (src/fleet/budget.ts) inside one transaction that holds the group's row lock
 * (`SELECT … FOR UPDATE` on `budget_groups`), so two replicas or two requests never both see room
 * for the last slot. A lease ends when the agent reports the restart's outcome or when its TTL
 * passes (a dead agent cannot hold the budget).
 *
 * The group's limits come with each request (they are the agent's policy); the hub keeps the
 * newest limits per group for its views.
 */
import { and, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { budgetGroups, budgetLeases, budgetWaiters } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import {
  arbitrate,
  type BudgetLimits,
  type GroupNumbers,
  type GroupState,
  type LeaseAnswer,
  type LeaseRequest,
  numbers,
} from '../fleet/budget.js';
import type { HubDb } from './db.js';

type Tx = Parameters<Parameters<HubDb['transaction']>[0]>[0];

/** The leases that still count (in flight, or granted inside the window) and the waiters. */
async function readGroup(tx: Tx, group: string, limits: BudgetLimits, now: number): Promise<GroupState> {
  const windowStart = now - limits.windowSec * 1000;
  const leases = await tx
    .select()
    .from(budgetLeases)
    .where(
      and(
        eq(budgetLeases.group, group),
        or(
          gt(budgetLeases.grantedAt, windowStart),
          and(isNull(budgetLeases.endedAt), gt(budgetLeases.expiresAt, now)),
        ),
      ),
    );
  const waiters = await tx.select().from(budgetWaiters).where(eq(budgetWaiters.group, group));
  return {
    leases: leases.map(({ group: _, ...l }) => l),
    waiters: waiters.map(({ group: _, ...w }) => w),
  };
}

/** Locks the group's row (creating it on first use, keeping the newest limits) and reads it. */
async function lockGroup(
  tx: Tx,
  group: string,
  limits: BudgetLimits,
  clock: Pick<Clock, 'now'>,
): Promise<{ state: GroupState; now: number }> {
  const asked = clock.now();
  await tx
    .insert(budgetGroups)
    .values({ name: group, limits, updatedAt: asked })
    .onConflictDoUpdate({ target: budgetGroups.name, set: { limits, updatedAt: asked } });
  await tx
    .select({ name: budgetGroups.name })
    .from(budgetGroups)
    .where(eq(budgetGroups.name, group))
    .for('update');
  // The time is read once the lock is held: a time taken before waiting for it could be older
  // than a lease another request ended meanwhile, and that lease would look free too early.
  const now = clock.now();
  return { state: await readGroup(tx, group, limits, now), now };
}

/** Writes the arbiter's next state: the new lease if any, the waiters as they are now. */
async function store(tx: Tx, group: string, before: GroupState, after: GroupState): Promise<void> {
  const known = new Set(before.leases.map((l) => l.id));
  const added = after.leases.filter((l) => !known.has(l.id));
  if (added.length > 0) {
    await tx
      .insert(budgetLeases)
      .values(added.map((l) => ({ ...l, group })))
      .onConflictDoNothing();
  }
  await tx.delete(budgetWaiters).where(eq(budgetWaiters.group, group));
  if (after.waiters.length > 0) {
    await tx.insert(budgetWaiters).values(after.waiters.map((w) => ({ ...w, group })));
  }
}

export async function requestLease(
  db: HubDb,
  group: string,
  limits: BudgetLimits,
  req: LeaseRequest,
  clock: Pick<Clock, 'now'>,
): Promise<LeaseAnswer> {
  return db.transaction(async (tx) => {
    const { state: before, now } = await lockGroup(tx, group, limits, clock);
    const { group: after, answer } = arbitrate(before, req, now, limits);
    await store(tx, group, before, after);
    return answer;
  });
}

/** Ends a lease (the restart's outcome is known). Idempotent; false when no such open lease. */
export async function finishLease(db: HubDb, leaseId: string, now: number): Promise<boolean> {
  const rows = await db
    .update(budgetLeases)
    .set({ endedAt: now })
    .where(and(eq(budgetLeases.id, leaseId), isNull(budgetLeases.endedAt)))
    .returning({ id: budgetLeases.id });
  return rows.length > 0;
}

export interface GroupView extends GroupNumbers {
  group: string;
  limits: BudgetLimits;
  waitingServices: { node: string; service: string; since: number }[];
}

/** Every group's numbers now (for GraphQL, metrics and the status views). */
export async function groupViews(db: HubDb, now: number, only?: string[]): Promise<GroupView[]> {
  const groups = await db
    .select()
    .from(budgetGroups)
    .where(only ? inArray(budgetGroups.name, only) : undefined);
  const out: GroupView[] = [];
  for (const g of groups) {
    const limits = g.limits as BudgetLimits;
    // Without the row lock: a view may be a moment stale, a lease request is never held up by it.
    const state = await db.transaction((tx) => readGroup(tx, g.name, limits, now));
    out.push({
      group: g.name,
      limits,
      ...numbers(state, now, limits),
      waitingServices: state.waiters.map(({ node, service, since }) => ({ node, service, since })),
    });
  }
  return out;
}
