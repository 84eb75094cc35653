/**
 * The one write of a lease arbitration (issue 16, src/hub/budget-tx.ts), conditional: one
 * statement, outside any transaction, that for each group bumps `budget_groups.version` **only if
 * it still equals the version the arbitration read** (budget-read.ts) and, in the same statement,
 * inserts the group's new leases, upserts its changed waiters and deletes the waiters that left —
 * for the groups whose version it bumped, and only those. The names of those groups come back;
 * the others' arbitrations saw a state that another one (of this or another replica) has changed
 * meanwhile: nothing of theirs is written, and they are read and arbitrated again.
 *
 * Why it is atomic: `INSERT … ON CONFLICT DO UPDATE … WHERE` locks the group's row, waits for a
 * transaction that holds it and then tests the row's newest version (READ COMMITTED: not the
 * statement's snapshot), so of two writes conditioned on the same version exactly one succeeds.
 * Every write of a group's leases or waiters is such a write (the locked path, budget-tx.ts, goes
 * through it too, holding the row), so a group's state changes only from the version its writer
 * read — as if each arbitration had held the row lock from its read to its commit. The rows are
 * upserted in name order: two writes (or a write and the locked path) never deadlock.
 *
 * A group one of whose new leases' ids the table already has is not written either (`taken`):
 * an arbitration from the replica's cache, without a read (budget-tx.ts), does not know the ids
 * pruned out of its window or used in another group, which are spent; read, the arbiter denies
 * them. The new leases' `seq`s come back, for the cache (budget-cache.ts).
 */
import type { BudgetLimits, GroupState } from '../fleet/budget.js';
import type { Queryable } from './budget-read.js';

const waiterKey = (w: { node: string; service: string }) => `${w.node}\u0000${w.service}`;

/** What the arbiter changed in one group: its new leases, changed waiters and waiters gone. */
export function changes(group: string, before: GroupState, after: GroupState) {
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

export type Changes = ReturnType<typeof changes>;

/** One group's write: its newest limits (for the views), the version read, what changed. */
export interface GroupWrite {
  name: string;
  limits: BudgetLimits;
  version: number;
  changes: Changes;
}

/** Nothing to write: the group keeps its version. */
export const unchanged = (c: Changes) => c.added.length + c.changed.length + c.gone.length === 0;

/** The groups written, and the `seq` each new lease got (lease id → seq). */
export interface Written {
  written: Set<string>;
  seqs: Map<string, number>;
}

/**
 * Writes each group's changes if its version is still the one read and none of its new leases'
 * ids is taken (see the header). A group without changes writes nothing and counts as written:
 * its answers (a retried request's lease) stand on the state read.
 */
export async function writeGroups(
  db: Queryable,
  writes: readonly GroupWrite[],
  now: number,
): Promise<Written> {
  const todo = writes.filter((w) => !unchanged(w.changes));
  const done = new Set(writes.filter((w) => unchanged(w.changes)).map((w) => w.name));
  const seqs = new Map<string, number>();
  if (todo.length === 0) return { written: done, seqs };
  const groups = todo.map((w) => ({
    name: w.name,
    limits: w.limits,
    version: w.version,
    ids: w.changes.added.map((l) => l.id),
  }));
  const added = todo.flatMap((w) => w.changes.added);
  const changed = todo.flatMap((w) => w.changes.changed);
  const gone = todo.flatMap((w) => w.changes.gone);
  const { rows } = await db.query<{ name: string; seqs: [string, string][] | null }>(
    statement(groups, added, changed, gone, now),
  );
  for (const r of rows) {
    done.add(r.name);
    for (const [id, seq] of r.seqs ?? []) seqs.set(id, Number(seq));
  }
  return { written: done, seqs };
}

/**
 * The write's text and values, with only the parts this write needs: measured (i55, PostgreSQL's
 * CPU per statement, 3 groups × 1 lease, alternated): 717–850 µs with the waiters' two parts
 * always in it, 417–600 µs without them — and a batch that only grants (the common case, every
 * batch of the latency bench) changes no waiter and removes only those it granted.
 */
function statement(
  groups: readonly unknown[],
  added: readonly Changes['added'][number][],
  changed: readonly Changes['changed'][number][],
  gone: readonly Changes['gone'][number][],
  now: number,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const $ = (v: unknown) => `$${values.push(v)}`;
  const parts: string[] = [];
  if (added.length > 0)
    // A primary-key probe per new id (as a join with the JSON rows it was planned as a scan of
    // the whole table as it grew: 1.2 ms a write instead of 0.5, pg_stat_statements).
    parts.push(
      `taken AS (SELECT id FROM budget_leases WHERE id = ANY(${$(added.map((l) => l.id))}::text[]))`,
    );
  parts.push(`ok AS (
      INSERT INTO budget_groups (name, limits, updated_at, version)
      SELECT name, limits, ${$(now)}::bigint, version + 1
        FROM json_to_recordset(${$(JSON.stringify(groups))}::json)
          AS x(name text, limits jsonb, version bigint, ids text[])
       ${added.length > 0 ? 'WHERE NOT EXISTS (SELECT 1 FROM taken t WHERE t.id = ANY(x.ids))' : ''}
       ORDER BY name
      ON CONFLICT (name) DO UPDATE
        SET version = excluded.version, limits = excluded.limits, updated_at = excluded.updated_at
        WHERE budget_groups.version = excluded.version - 1
      RETURNING name)`);
  if (added.length > 0)
    parts.push(`added AS (
      INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
      SELECT id, "group", node, service, "grantedAt", "expiresAt", "endedAt", operator
        FROM json_to_recordset(${$(JSON.stringify(added))}::json)
          AS x(id text, "group" text, node text, service text, "grantedAt" bigint, "expiresAt" bigint, "endedAt" bigint, operator boolean)
       WHERE "group" IN (SELECT name FROM ok)
      ON CONFLICT DO NOTHING
      RETURNING id, "group", seq)`);
  if (changed.length > 0)
    parts.push(`changed AS (
      INSERT INTO budget_waiters ("group", node, service, since, seen_at)
      SELECT "group", node, service, since, "seenAt"
        FROM json_to_recordset(${$(JSON.stringify(changed))}::json)
          AS w("group" text, node text, service text, since bigint, "seenAt" bigint)
       WHERE "group" IN (SELECT name FROM ok)
      ON CONFLICT ("group", node, service) DO UPDATE SET since = excluded.since, seen_at = excluded.seen_at)`);
  if (gone.length > 0)
    parts.push(`gone AS (
      DELETE FROM budget_waiters b
       USING json_to_recordset(${$(JSON.stringify(gone))}::json) AS g("group" text, node text, service text)
       WHERE b."group" = g."group" AND b.node = g.node AND b.service = g.service
         AND g."group" IN (SELECT name FROM ok))`);
  const seqs =
    added.length > 0
      ? `(SELECT json_agg(json_build_array(a.id, a.seq::text)) FROM added a WHERE a."group" = o.name)`
      : 'NULL';
  return { text: `WITH ${parts.join(', ')} SELECT o.name, ${seqs} AS seqs FROM ok o`, values };
}
