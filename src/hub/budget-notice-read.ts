/**
 * The one read of a budget group behind each check of the slot notification (budget-wait.ts).
 */
import { eq, sql } from 'drizzle-orm';
import { budgetGroups } from '../../db/pg/schema.js';
import type { BudgetLimits, GroupState, Lease, Waiter } from '../fleet/budget.js';
import type { HubDb } from './db.js';

/**
 * A group's limits and what the notification needs of its state now, or null when the hub has
 * never seen the group: the leases in flight and every waiter as they are, and the grants in
 * the window only as a count and the oldest (one row each, not the window's every lease — in a
 * storm that is a thousand per group, read at every check). The grants in the window that are
 * no longer in flight stand in as ended leases at the oldest grant's time: they count in
 * `usedInWindow`, and the oldest of them leaves the window first (`nextLapse`).
 */
export async function readForNotice(
  db: HubDb,
  group: string,
  now: number,
): Promise<{ limits: BudgetLimits; state: GroupState } | null> {
  const [row] = await db
    .select({ limits: budgetGroups.limits })
    .from(budgetGroups)
    .where(eq(budgetGroups.name, group));
  if (!row) return null;
  const limits = row.limits as BudgetLimits;
  const windowStart = now - limits.windowSec * 1000;
  const { rows } = await db.execute<{
    live: Lease[];
    waiters: Waiter[];
    used: string;
    oldest: string | null;
  }>(sql`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('id', id, 'node', node, 'service', service,
          'grantedAt', granted_at, 'expiresAt', expires_at, 'endedAt', ended_at, 'operator', operator)), '[]')
         FROM budget_leases WHERE "group" = ${group} AND ended_at IS NULL AND expires_at > ${now}) AS live,
      (SELECT count(*) FROM budget_leases WHERE "group" = ${group} AND granted_at > ${windowStart}) AS used,
      (SELECT min(granted_at) FROM budget_leases WHERE "group" = ${group} AND granted_at > ${windowStart}) AS oldest,
      (SELECT coalesce(json_agg(json_build_object('node', node, 'service', service,
          'since', since, 'seenAt', seen_at)), '[]')
         FROM budget_waiters WHERE "group" = ${group}) AS waiters`);
  const { live, waiters, used, oldest } = rows[0]!;
  const liveInWindow = live.filter((l) => l.grantedAt > windowStart).length;
  const at = Number(oldest);
  const ended: Lease[] = Array.from({ length: Math.max(0, Number(used) - liveInWindow) }, (_, i) => ({
    id: `\u0000window-${i}`,
    node: '',
    service: '',
    grantedAt: at,
    expiresAt: at,
    endedAt: at,
    operator: false,
  }));
  return { limits, state: { leases: [...live, ...ended], waiters } };
}
