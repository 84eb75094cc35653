/**
 * The one read of a lease arbitration (issue 16, src/hub/budget-tx.ts): every group of a batch in
 * one statement — its version (`budget_groups.version`, 0 for a group without a row), its waiters,
 * and its leases that still count (in flight, or granted after its window's start) — or, for a
 * group the replica's cache knows (`since` set, src/hub/budget-cache.ts), only what may have
 * changed since, merged into what the cache kept — and which of the lease ids asked for the
 * table has although the state does not hold them (`spent`: out of the window, or of another
 * group; the arbiter never grants them again). One statement is one snapshot: the version and
 * the rows read go together, so a write conditioned on that version (budget-write.ts) commits
 * only if no arbitration of the group committed after what was read.
 */
import type { GroupState, Waiter } from '../fleet/budget.js';
import type { GroupRead, LeaseCache } from './budget-cache.js';

/**
 * The pool or one of its clients (node-postgres). The lease path talks to it directly, not
 * through drizzle, with unnamed statements, planned at every run. Why not named ones (measured,
 * bench/fleet-budget-sql.ts, docs/BENCHMARKS.md "Fleet budget lease cost, run 8"): after five
 * runs PostgreSQL may keep a *generic* plan, and one made while the lease table was small (a
 * fresh database) scans it whole — the read took 8–23 ms instead of 0.8 as the table grew, until
 * an ANALYZE replaced the plan (the 48 ms of session 7). With `plan_cache_mode` forcing custom
 * plans, naming saved nothing measurable (parsing is cheap next to planning and running).
 */
export interface Queryable {
  query<R>(config: { text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/** A group as read: its state and the version that state is (the write's condition). */
export interface ReadGroup extends GroupState {
  version: number;
}

/** A lease as read: `[id, node, service, grantedAt, expiresAt, endedAt, operator, seq]` (compact JSON). */
type LeaseRow = [string, string, string, number, number, number | null, boolean, number];

const fromRow = ([id, node, service, grantedAt, expiresAt, endedAt, operator, seq]: LeaseRow) => ({
  id,
  node,
  service,
  grantedAt,
  expiresAt,
  endedAt,
  operator,
  seq,
});

/** One group as sent to the read (`json_to_recordset`). */
interface GroupArg {
  name: string;
  start: number;
  since: number | null;
  open: readonly string[];
  ids: readonly string[];
  wv: number;
}

/**
 * The read's text holds only the parts some group of the batch needs: the full-read arm when a
 * group has no cache (`since` null), the arm of what was inserted since when one has, the arm
 * of open leases by id when one has any, the asked ids' lookup when some were asked. Each part
 * left out is a subquery PostgreSQL neither parses, plans (for each of its tables and indexes,
 * their sizes from the kernel) nor runs per group. Measured (batches of 3 cached groups, as in
 * the latency bench; two runs of alternated rounds, load 5–9): 540–800 µs of PostgreSQL's CPU per
 * read against 700–920 with every part — the full-read arm alone, never true for a cached
 * group, cost about 150 µs (parsed, planned and started for nothing).
 */
export function readStatement(groups: readonly GroupArg[], now: number): { text: string; values: unknown[] } {
  const full = groups.some((g) => g.since === null);
  const arms = [
    full &&
      `SELECT * FROM budget_leases
            WHERE g.since IS NULL AND "group" = g.name
              AND (granted_at > g.start OR (ended_at IS NULL AND expires_at > $2))`,
    groups.some((g) => g.since !== null) &&
      `SELECT * FROM budget_leases WHERE "group" = g.name AND seq > g.since`,
    groups.some((g) => g.open.length > 0) && `SELECT * FROM budget_leases WHERE id = ANY(g.open)`,
  ].filter((arm): arm is string => typeof arm === 'string');
  const known = groups.some((g) => g.ids.length > 0)
    ? `(SELECT coalesce(json_agg(id), '[]') FROM budget_leases WHERE id = ANY(g.ids))`
    : `'[]'::json`;
  const leases =
    arms.length === 0
      ? `'[]'::json`
      : `(SELECT coalesce(json_agg(json_build_array(id, node, service, granted_at, expires_at, ended_at, operator, seq)), '[]')
         FROM (
           -- Each arm on its own index: a full read (group, granted_at); what was inserted since
           -- (group, seq); the leases seen open, by id (seen, so not above since: no lease
           -- comes twice).
           ${arms.join(`
           UNION ALL
           `)}
         ) l)`;
  return {
    text: `
    SELECT g.name, v.version,
      ${leases} AS leases,
      CASE WHEN v.version = g.wv THEN NULL ELSE
        (SELECT coalesce(json_agg(json_build_object('node', node, 'service', service,
           'since', since, 'seenAt', seen_at)), '[]')
          FROM budget_waiters WHERE "group" = g.name) END AS waiters,
      ${known} AS known
    FROM json_to_recordset($1::json)
      AS g(name text, start bigint, since bigint, open text[], ids text[], wv bigint)
    CROSS JOIN LATERAL (SELECT coalesce((SELECT version FROM budget_groups WHERE name = g.name), 0) AS version) v`,
    // $2 only where the full-read arm uses it (a parameter the text does not name is refused).
    values: full ? [JSON.stringify(groups), now] : [JSON.stringify(groups)],
  };
}

/** Reads the groups of `plans` in one statement (see the header); `now` decides what still counts. */
export async function readGroups(
  db: Queryable,
  plans: readonly GroupRead[],
  now: number,
  cache?: LeaseCache,
  /** Per group, the lease ids asked for: those the table has but the state does not are `spent`. */
  asked?: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, ReadGroup>> {
  const groups: GroupArg[] = plans.map((p) => ({
    name: p.name,
    start: p.windowStart,
    since: p.since,
    open: p.open,
    ids: asked?.get(p.name) ?? [],
    // The version whose waiters this replica keeps: they are not sent again for it.
    wv: cache?.waiters.version(p.name) ?? -1,
  }));
  const { rows } = await db.query<{
    name: string;
    version: string;
    leases: LeaseRow[];
    waiters: Waiter[] | null;
    known: string[];
  }>(readStatement(groups, now));
  const read = new Map(rows.map((r) => [r.name, r]));
  const out = new Map<string, ReadGroup>();
  for (const plan of plans) {
    const r = read.get(plan.name);
    const rowsRead = (r?.leases ?? []).map(fromRow);
    const version = Number(r?.version ?? 0);
    const leases = cache
      ? cache.merge(plan, rowsRead, now, version)
      : rowsRead.map(({ seq: _, ...lease }) => lease);
    const held = new Set(leases.map((l) => l.id));
    const spent = (r?.known ?? []).filter((id) => !held.has(id));
    // Null: the group is still at the version whose waiters the cache keeps.
    const waiters = r?.waiters ?? cache?.waiters.at(plan.name, version) ?? [];
    if (cache && r?.waiters) cache.waiters.keep(plan.name, version, waiters);
    out.set(plan.name, {
      version,
      leases,
      waiters,
      ...(spent.length > 0 ? { spent } : {}),
    });
  }
  return out;
}
