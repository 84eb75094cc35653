/**
 * Arbitrates the lease requests of several budget groups at once (issue 16): the hub's batcher
 * (budget-batch.ts) sends everything that queued while the previous batch ran, whatever its
 * group. Two ways. The hub's default (MEDIC_HUB_BUDGET_OPTIMISTIC=1, the batcher's `optimistic`)
 * is the **optimistic** way: faster per lease in quiet alternated runs, as fast in the 1,000 × 20
 * storm (docs/BENCHMARKS.md "Fleet budget, run 10"). It takes **two round trips per batch** —
 * one when the replica wrote every group of the batch last (below) —, no transaction, no lock
 * held while the arbiter runs:
 * 1. one read of every group: its version, its leases that count and its waiters, one snapshot
 *    (budget-read.ts; through the replica's cache, budget-cache.ts, only what changed). Not for
 *    a group the cache holds at the version this replica read or wrote last (budget-arbitrate.ts
 *    `fromCache`): the first try arbitrates it on the cache and keeps that only if every request
 *    was granted a new lease — the cache may not know another replica's finish, so it may deny
 *    wrongly, never grant wrongly; a denial is read for. Its write (3.) is refused if another
 *    replica moved the version or a new lease's id is taken (spent: pruned out of the window,
 *    or another group's), and the next try reads;
 * 2. the pure arbiter (src/fleet/budget.ts), group by group, request by request in arrival
 *    order, in memory, at a time read after the read (a lease ended meanwhile carries its
 *    finish's time: an older arbitration time would stamp a grant taking its slot before the
 *    lease ended, and the lease table would show one lease too many at once);
 * 3. one write, per group conditional on the version read (budget-write.ts): exactly one of two
 *    arbitrations that read the same version commits. A group whose version moved meanwhile
 *    (another replica's batch, or this one's in the locked path) is read and arbitrated again.
 * After OPTIMISTIC_TRIES tries a group still not written goes the **locked** way, which always
 * succeeds: `BEGIN`, the upsert that locks the groups' rows in name order, the same read and
 * the same write (its version cannot move under the lock), `COMMIT` — five round trips. A hub
 * with MEDIC_HUB_BUDGET_OPTIMISTIC=0, a direct call without `mode` (requestLeases, tools) and the
 * bench's one-transaction-per-request baseline go that way at once.
 *
 * Atomicity and the limits: a group's leases and waiters change only by a write conditioned on
 * the version its arbiter read, so each arbitration saw the group as it was when it committed,
 * as under the row lock before (budget-write.ts; test/fleet/budget-optimistic.test.ts).
 */
import type { Clock } from '../clock/clock.js';
import type { LeaseAnswer } from '../fleet/budget.js';
import {
  type Arbitrated,
  arbitrateGroup,
  type BatchItem,
  fromCache,
  type Group,
} from './budget-arbitrate.js';

export type { BatchItem } from './budget-arbitrate.js';

import type { LeaseCache } from './budget-cache.js';
import { type Queryable, readGroups } from './budget-read.js';
import { unchanged, writeGroups } from './budget-write.js';
import type { HubDb } from './db.js';
import { timingNow } from './server-timing.js';

export { type Queryable, readGroups } from './budget-read.js';

/** A drizzle transaction or the pool: anything that runs a drizzle statement (finishes, pruning). */
export type Runner = Pick<Parameters<Parameters<HubDb['transaction']>[0]>[0], 'execute'>;

/**
 * Optimistic tries before the locked way. Two: a replica never races itself (its lanes take
 * disjoint groups, budget-batch.ts), so a second conflict in a row means another replica is busy
 * with the same group — then waiting for its lock is cheaper than racing it again.
 */
export const OPTIMISTIC_TRIES = 2;

/**
 * Arbitrate and write once: the groups written, their answers put in `answers`. With `cached`
 * (the optimistic way) a group the cache holds at its version is arbitrated without a read
 * (`fromCache`); the others are read first (one statement for all of them).
 */
async function once(
  db: Queryable,
  groups: readonly Group[],
  clock: Pick<Clock, 'now'>,
  cache: LeaseCache | undefined,
  answers: Map<string, LeaseAnswer[]>,
  done: (step: string, n?: number) => void,
  cached: boolean,
): Promise<Set<string>> {
  const asked = clock.now();
  const results = cached && cache ? fromCache(groups, cache, asked) : new Map<string, Arbitrated>();
  if (results.size > 0) done('cached', results.size);
  const toRead = groups.filter((g) => !results.has(g.name));
  if (toRead.length > 0) {
    const plans = toRead.map((g) =>
      cache
        ? cache.plan(g.name, asked - g.windowMs, asked)
        : { name: g.name, windowStart: asked - g.windowMs, since: null, open: [] },
    );
    const ids = new Map(toRead.map((g) => [g.name, g.items.map((i) => i.req.id)]));
    const states = await readGroups(db, plans, asked, cache, ids);
    done('read');
    // The time is read after the read (see the header).
    const now = Math.max(asked, clock.now());
    for (const g of toRead) results.set(g.name, arbitrateGroup(g, states.get(g.name)!, now));
  }
  done('arbiter');
  const writes = [...results.values()].map((r) => r.write);
  const { written, seqs } = await writeGroups(
    db,
    writes,
    Math.max(...[...results.values()].map((r) => r.now)),
  );
  done('write');
  for (const [name, r] of results) {
    if (!written.has(name)) {
      cache?.stale(name);
      continue;
    }
    answers.set(name, r.out);
    if (!cache || unchanged(r.write.changes)) continue;
    // What this replica's write left is the group at the version it set.
    const version = r.write.version + 1;
    cache.waiters.keep(name, version, r.waiters);
    cache.wrote(
      name,
      version,
      r.write.changes.added.map(({ group: _, ...lease }) => ({ ...lease, seq: seqs.get(lease.id) ?? 0 })),
      r.now,
    );
  }
  return written;
}

/**
 * The locked way: one transaction on one connection that locks the groups' rows (in name order:
 * no deadlock with another replica's) before the same read and write — which cannot miss then.
 */
async function locked(
  pool: HubDb['$client'],
  groups: readonly Group[],
  clock: Pick<Clock, 'now'>,
  cache: LeaseCache | undefined,
  answers: Map<string, LeaseAnswer[]>,
  done: (step: string) => void,
): Promise<void> {
  const client = await pool.connect();
  let dead = false;
  try {
    await client.query('BEGIN');
    done('begin');
    await client.query({
      text: `
        INSERT INTO budget_groups (name, limits, updated_at)
        SELECT name, limits, $2::bigint FROM json_to_recordset($1::json) AS x(name text, limits jsonb)
         ORDER BY name
        ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at
          WHERE budget_groups.limits IS DISTINCT FROM excluded.limits`,
      values: [JSON.stringify(groups.map((g) => ({ name: g.name, limits: g.limits }))), clock.now()],
    });
    done('lock');
    const written = await once(client, groups, clock, cache, answers, done, false);
    // Under the rows' locks no other write can move a version: a miss is a bug, not a race.
    const missed = groups.filter((g) => !written.has(g.name)).map((g) => g.name);
    if (missed.length > 0)
      throw Object.assign(new Error(`budget groups ${missed.join(', ')} changed under their lock`), {
        code: 'BUDGET_LOCK_BROKEN',
      });
    await client.query('COMMIT');
    done('commit');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      dead = true;
    });
    throw err;
  } finally {
    // A connection whose ROLLBACK failed goes, not back to the pool.
    client.release(dead);
  }
}

/**
 * Arbitrates every group's requests (`batches`: group → its requests in arrival order); the
 * answers per group, in the same order. A request sees the grants and waiters of the requests
 * of its group before it. `step` gets each step's duration in ms as it ends (`read` — absent
 * when every group came from the cache —, `arbiter`, `write` per try; `begin`, `lock`, `commit`
 * on the locked way), `cached` the number of groups arbitrated from the cache without a read,
 * and `tries` the number of writes tried.
 */
export async function arbitrateGroups(
  db: HubDb,
  batches: ReadonlyMap<string, readonly BatchItem[]>,
  clock: Pick<Clock, 'now'>,
  cache?: LeaseCache,
  step: (name: string, ms: number) => void = () => {},
  mode: 'optimistic' | 'locked' = 'locked',
): Promise<Map<string, LeaseAnswer[]>> {
  let last = timingNow();
  const done = (name: string, n?: number) => {
    // A count, not a duration (`cached`): the clock of the steps does not move.
    if (n !== undefined) return step(name, n);
    const t = timingNow();
    step(name, t - last);
    last = t;
  };
  const names = [...batches.keys()].sort();
  // The newest limits an agent sent are the group's for the views; the widest window counts.
  let todo: Group[] = names.map((name) => {
    const items = batches.get(name)!;
    const windowMs = Math.max(...items.map((i) => i.limits.windowSec)) * 1000;
    return { name, limits: items.at(-1)!.limits, windowMs, items };
  });
  const answers = new Map<string, LeaseAnswer[]>();
  let tries = 0;
  const pool = db.$client;
  try {
    for (; mode === 'optimistic' && todo.length > 0 && tries < OPTIMISTIC_TRIES; tries++) {
      // The first try may arbitrate from the cache; a group refused then is read.
      const written = await once(pool, todo, clock, cache, answers, done, tries === 0);
      todo = todo.filter((g) => !written.has(g.name));
    }
    if (todo.length > 0) {
      tries++;
      await locked(pool, todo, clock, cache, answers, done);
    }
    step('tries', tries);
    return answers;
  } catch (err) {
    // What the cache took in may be from a transaction that did not commit: read in full next time.
    cache?.forget(names);
    throw err;
  }
}
