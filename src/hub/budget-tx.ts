/**
 * One transaction arbitrates the lease requests of several budget groups at once (issue 16): the
 * hub's batcher (budget-batch.ts) sends everything that queued while the previous transaction
 * ran, whatever its group, so the hub runs one lease transaction at a time instead of one per
 * busy group (which queued on the pool and on PostgreSQL's two cores). Five round trips per
 * batch, whatever its size and number of groups:
 * 1. `BEGIN`;
 * 2. the upsert of every group's row, in name order, which locks them (`ON CONFLICT DO UPDATE`
 *    locks a row even when its `WHERE` skips the write; limits are written only when changed).
 *    Every lease transaction locks its groups in name order, so two replicas never deadlock;
 * 3. one read of every group's counting leases and waiters, after the locks are held; the time
 *    of the arbitration is read after it (a lease another request ended meanwhile carries its
 *    finish's time: an older arbitration time would stamp a grant taking its slot before the
 *    lease ended, and the lease table would show one lease too many at once);
 * 4. the pure arbiter (src/fleet/budget.ts), group by group, request by request in arrival
 *    order, in memory; then one write: new leases, waiters that changed, waiters that left;
 * 5. `COMMIT`.
 * Atomicity and the limits are the row locks' as before: a group is arbitrated by one
 * transaction at a time across every replica, and each sees the group as it is.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../clock/clock.js';
import {
  arbitrate,
  type BudgetLimits,
  type GroupState,
  type LeaseAnswer,
  type LeaseRequest,
  type Waiter,
} from '../fleet/budget.js';
import type { GroupRead, LeaseCache } from './budget-cache.js';
import type { HubDb } from './db.js';
import { timingNow } from './server-timing.js';

/** A transaction or the pool: anything that runs a statement. */
export type Runner = Pick<Parameters<Parameters<HubDb['transaction']>[0]>[0], 'execute'>;

/** One request of a batch: its own limits (the agent's policy) and the lease asked for. */
export interface BatchItem {
  limits: BudgetLimits;
  req: LeaseRequest;
}

/** A lease as read: `[id, node, service, grantedAt, expiresAt, endedAt, operator, seq]` (compact JSON). */
type LeaseRow = [string, string, string, number, number, number | null, boolean, number];

const fromRow = ([id, node, service, grantedAt, expiresAt, endedAt, operator, seq]: LeaseRow) => ({
  lease: { id, node, service, grantedAt, expiresAt, endedAt, operator },
  seq,
});

/**
 * Reads the groups in one query: each group's waiters, and its leases that still count (in
 * flight, or granted after its window's start) — or, for a group the cache knows (`since` set),
 * only what may have changed since (budget-cache.ts), merged into what the cache kept.
 */
export async function readGroups(
  db: Runner,
  plans: readonly GroupRead[],
  now: number,
  cache?: LeaseCache,
): Promise<Map<string, GroupState>> {
  const groups = plans.map((p) => ({ name: p.name, start: p.windowStart, since: p.since, open: p.open }));
  const { rows } = await db.execute<{ name: string; leases: LeaseRow[]; waiters: Waiter[] }>(sql`
    SELECT g.name,
      (SELECT coalesce(json_agg(json_build_array(id, node, service, granted_at, expires_at, ended_at, operator, seq)), '[]')
         FROM budget_leases
        WHERE "group" = g.name
          AND CASE WHEN g.since IS NULL
                THEN granted_at > g.start OR (ended_at IS NULL AND expires_at > ${now})
                ELSE seq > g.since OR id = ANY(g.open) END) AS leases,
      (SELECT coalesce(json_agg(json_build_object('node', node, 'service', service,
          'since', since, 'seenAt', seen_at)), '[]')
         FROM budget_waiters WHERE "group" = g.name) AS waiters
    FROM json_to_recordset(${JSON.stringify(groups)}::json) AS g(name text, start bigint, since bigint, open text[])`);
  const read = new Map(rows.map((r) => [r.name, r]));
  const out = new Map<string, GroupState>();
  for (const plan of plans) {
    const r = read.get(plan.name);
    const leases = (r?.leases ?? []).map(fromRow);
    out.set(plan.name, {
      leases: cache
        ? cache.merge(
            plan,
            leases.map(({ lease, seq }) => ({ ...lease, seq })),
            now,
          )
        : leases.map((l) => l.lease),
      waiters: r?.waiters ?? [],
    });
  }
  return out;
}

const waiterKey = (w: { node: string; service: string }) => `${w.node}\u0000${w.service}`;

/** What the arbiter changed in one group: its new leases, changed waiters and waiters gone. */
function changes(group: string, before: GroupState, after: GroupState) {
  const known = new Set(before.leases.map((l) => l.id));
  const was = new Map(before.waiters.map((w) => [waiterKey(w), w]));
  const still = new Set(after.waiters.map(waiterKey));
  return {
    added: after.leases.filter((l) => !known.has(l.id)).map((l) => ({ ...l, group })),
    changed: after.waiters
      .filter((w) => {
        const old = was.get(waiterKey(w));
        return !old || old.since !== w.since || old.seenAt !== w.seenAt;
      })
      .map((w) => ({ ...w, group })),
    gone: before.waiters.filter((w) => !still.has(waiterKey(w))).map((w) => ({ ...w, group })),
  };
}

/** Writes every group's changes in one statement (nothing when nothing changed). */
async function store(tx: Runner, all: ReturnType<typeof changes>[]): Promise<void> {
  const added = all.flatMap((c) => c.added);
  const changed = all.flatMap((c) => c.changed);
  const gone = all.flatMap((c) => c.gone);
  if (added.length + changed.length + gone.length === 0) return;
  await tx.execute(sql`
    WITH added AS (
      INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
      SELECT id, "group", node, service, "grantedAt", "expiresAt", "endedAt", operator
        FROM json_to_recordset(${JSON.stringify(added)}::json)
          AS x(id text, "group" text, node text, service text, "grantedAt" bigint, "expiresAt" bigint, "endedAt" bigint, operator boolean)
      ON CONFLICT DO NOTHING
    ), changed AS (
      INSERT INTO budget_waiters ("group", node, service, since, seen_at)
      SELECT "group", node, service, since, "seenAt"
        FROM json_to_recordset(${JSON.stringify(changed)}::json)
          AS w("group" text, node text, service text, since bigint, "seenAt" bigint)
      ON CONFLICT ("group", node, service) DO UPDATE SET since = excluded.since, seen_at = excluded.seen_at
    )
    DELETE FROM budget_waiters b
     USING json_to_recordset(${JSON.stringify(gone)}::json) AS g("group" text, node text, service text)
     WHERE b."group" = g."group" AND b.node = g.node AND b.service = g.service`);
}

/**
 * Arbitrates every group's requests (`batches`: group → its requests in arrival order) in one
 * transaction; the answers per group, in the same order. A request sees the grants and waiters
 * of the requests of its group before it.
 */
export async function arbitrateGroups(
  db: HubDb,
  batches: ReadonlyMap<string, readonly BatchItem[]>,
  clock: Pick<Clock, 'now'>,
  cache?: LeaseCache,
  /** Called as each step ends, with its duration in ms: `begin`, `lock`, `read`, `arbiter`, `write`, `commit`. */
  step: (name: string, ms: number) => void = () => {},
): Promise<Map<string, LeaseAnswer[]>> {
  let last = timingNow();
  const done = (name: string) => {
    const t = timingNow();
    step(name, t - last);
    last = t;
  };
  const names = [...batches.keys()].sort();
  const groups = names.map((name) => {
    const items = batches.get(name)!;
    // The newest limits an agent sent are the group's for the views; the widest window counts.
    return {
      name,
      limits: items.at(-1)!.limits,
      windowMs: Math.max(...items.map((i) => i.limits.windowSec)) * 1000,
    };
  });
  try {
    const answers = await db.transaction(async (tx) => {
      done('begin');
      await tx.execute(sql`
      INSERT INTO budget_groups (name, limits, updated_at)
      SELECT name, limits, ${clock.now()}
        FROM json_to_recordset(${JSON.stringify(groups)}::json) AS x(name text, limits jsonb)
       ORDER BY name
      ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at
        WHERE budget_groups.limits IS DISTINCT FROM excluded.limits`);
      // The time is read once the groups are locked (see the header), the arbitration's after the read.
      const asked = clock.now();
      const plans = groups.map((g) =>
        cache
          ? cache.plan(g.name, asked - g.windowMs, asked)
          : { name: g.name, windowStart: asked - g.windowMs, since: null, open: [] },
      );
      done('lock');
      const states = await readGroups(tx, plans, asked, cache);
      done('read');
      const now = Math.max(asked, clock.now());
      const answers = new Map<string, LeaseAnswer[]>();
      const all: ReturnType<typeof changes>[] = [];
      for (const name of names) {
        const before = states.get(name) ?? { leases: [], waiters: [] };
        let state = before;
        const out: LeaseAnswer[] = [];
        for (const { limits, req } of batches.get(name)!) {
          const r = arbitrate(state, req, now, limits);
          state = r.group;
          out.push(r.answer);
        }
        answers.set(name, out);
        all.push(changes(name, before, state));
      }
      done('arbiter');
      await store(tx, all);
      done('write');
      return answers;
    });
    done('commit');
    return answers;
  } catch (err) {
    // What the cache took in may be from a transaction that did not commit: read in full next time.
    cache?.forget(names);
    throw err;
  }
}
