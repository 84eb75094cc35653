/**
 * Pruning the fleet budget's lease table (issue 16): every lease ever granted is a row of
 * `budget_leases` (a storm writes tens of thousands), but only the leases that still count are
 * read. The hub's sweeper (sweeper.ts, on every replica) deletes, in one bounded statement per
 * round, rows that can never count again nor be asked for again:
 * - not in flight: ended, or lapsed (`expires_at` passed) — and lapsed at least `marginMs` ago:
 *   `expires_at` is the grant plus the lease TTL, and an agent re-sends an unanswered request's
 *   id until it is answered (src/agent/lease-ids.ts): a retry in the margin finds the id spent
 *   and is denied (which answers it); one after the margin is a new request (below);
 * - granted before the group's window by at least `marginMs` (the window of the group's newest
 *   limits, `budget_groups.limits`), so the row no longer counts in `maxPerWindow`.
 * Together: a row stays at least max(windowSec, lease TTL) + margin after its grant.
 *
 * Why a pruned id is safe: the arbiter (src/fleet/budget.ts) refuses an id it still sees spent;
 * a pruned id it no longer sees is arbitrated like a new request — granted only when the limits
 * allow, and then stored and counted like any lease. So even a request that arrives later than
 * the margin can take a slot that is free, never one more than `maxConcurrent`. Replicas' lease
 * caches (budget-cache.ts) hold no pruned row as counting: it left every window and lapsed; an
 * open lease a cache still lists is forgotten when its row is gone (the cache's `open` read).
 *
 * Several replicas may sweep at once: `FOR UPDATE SKIP LOCKED` makes each take rows the others
 * have not locked (nobody waits; a lease finish holding a row is skipped this round), and the
 * delete goes by `ctid` (a TID scan). The candidates come group by group (a `LATERAL` per
 * group, so each is a range of the `(group, granted_at)` index below the group's own bound),
 * stopping at the batch's `LIMIT`. Checked with EXPLAIN ANALYZE on 200,000 rows in 20 groups:
 * a round with nothing to prune costs about 0.1 ms of index probe per group, not a scan of the
 * table (the plain join had the planner scan all of it: 176 ms); no new index is needed.
 */
import { sql } from 'drizzle-orm';
import type { Runner } from './budget-tx.js';

/** How long past its window and its TTL a lease row is kept (retries, clock skew between replicas). */
export const PRUNE_MARGIN_MS = 15 * 60_000;
/** Rows deleted per statement at most (one statement per sweep round). */
export const PRUNE_BATCH = 1000;

/** Deletes up to `batch` lease rows that can no longer count or be asked for; how many it deleted. */
export async function pruneLeases(
  db: Runner,
  now: number,
  opts: { marginMs?: number; batch?: number } = {},
): Promise<number> {
  const margin = opts.marginMs ?? PRUNE_MARGIN_MS;
  const limit = opts.batch ?? PRUNE_BATCH;
  const { rows } = await db.execute<{ n: string }>(sql`
    WITH gone AS (
      DELETE FROM budget_leases
       WHERE ctid = ANY(ARRAY(
         SELECT l.ctid
           FROM budget_groups g
           CROSS JOIN LATERAL (
             SELECT ctid FROM budget_leases
              WHERE "group" = g.name
                AND granted_at < ${now - margin} - ((g.limits->>'windowSec')::numeric * 1000)::bigint
                AND expires_at < ${now - margin}
              LIMIT ${limit}
                FOR UPDATE SKIP LOCKED) l
          LIMIT ${limit}))
      RETURNING 1)
    SELECT count(*) AS n FROM gone`);
  return Number(rows[0]?.n ?? 0);
}
