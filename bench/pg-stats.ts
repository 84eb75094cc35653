/**
 * What PostgreSQL spent per statement during a bench phase (issue 16's lease cost): the top
 * statements of `pg_stat_statements` — calls, rows per call, mean planning and execution time,
 * buffers and WAL per call — plus the cluster's WAL and commits over the phase (`pg_stat_wal`,
 * `pg_stat_database`). A diagnosis, not a figure: it needs the extension preloaded, e.g.
 * `MEDIC_TEST_PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c
 * pg_stat_statements.track_planning=on" scripts/with-postgres.sh …`; without it, it says so and
 * prints nothing else. Statements are the server's (the hub's and the bench's own).
 */
import { writeFileSync } from 'node:fs';
import type pg from 'pg';

/** Statement kinds by their text's start (the hub's lease path and its neighbours). */
const KINDS: [string, RegExp][] = [
  ['lease read', /^\s*SELECT g\.name, v\.version/],
  ['lease write', /^\s*WITH (ok|taken) AS/],
  ['finish', /^\s*WITH ended AS/],
  ['token lookup', /FROM agent_tokens WHERE hash/],
  ['token last-used', /^update "agent_tokens" set "last_used_at"/],
  ['sweeper', /^\s*WITH gone AS/],
  ['begin/commit', /^(begin|commit|BEGIN|COMMIT)$/],
];
const kindOf = (q: string) => KINDS.find(([, re]) => re.test(q))?.[0] ?? 'other';

/**
 * MEDIC_BENCH_PERF_CTL=FIFO: the control fifo of a `perf record -D -1 --control fifo:FIFO`
 * started before the bench — profiling is enabled over the same window (a diagnosis of where
 * PostgreSQL's CPU goes outside planning and execution).
 */
function perfControl(cmd: 'enable' | 'disable'): void {
  const fifo = process.env.MEDIC_BENCH_PERF_CTL;
  if (fifo) writeFileSync(fifo, `${cmd}\n`);
}

interface Totals {
  wal_records: string;
  wal_bytes: string;
  wal_sync: string;
  xact_commit: string;
}

const TOTALS = `SELECT w.wal_records, w.wal_bytes, w.wal_sync,
  (SELECT sum(xact_commit) FROM pg_stat_database) AS xact_commit FROM pg_stat_wal w`;

/** Resets the counters now; the returned function prints what was spent since. */
export async function pgStatements(pool: pg.Pool, label: string): Promise<() => Promise<void>> {
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await pool.query('SELECT pg_stat_statements_reset()');
  } catch (err) {
    if (process.env.MEDIC_BENCH_PG_STATS)
      console.log(`pg_stat_statements: not available (${(err as Error).message})`);
    return async () => {};
  }
  const before = (await pool.query<Totals>(TOTALS)).rows[0]!;
  const t0 = performance.now();
  perfControl('enable');
  return async () => {
    perfControl('disable');
    const s = (performance.now() - t0) / 1000;
    const after = (await pool.query<Totals>(TOTALS)).rows[0]!;
    const d = (k: keyof Totals) => Number(after[k]) - Number(before[k]);
    const commits = d('xact_commit');
    console.log(
      `PostgreSQL during ${label} (${s.toFixed(1)} s): ${commits} commits, WAL ${d('wal_records')} records / ${(d('wal_bytes') / 1024).toFixed(0)} KiB (${(d('wal_bytes') / Math.max(1, commits)).toFixed(0)} B per commit), ${d('wal_sync')} WAL syncs`,
    );
    // Counters of the lease table (cumulative since the server started).
    const t = (
      await pool.query<Record<string, string>>(
        `SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd, n_live_tup FROM pg_stat_user_tables WHERE relname = 'budget_leases'`,
      )
    ).rows[0];
    if (t)
      console.log(
        `  budget_leases so far: ${t.n_tup_ins} inserted, ${t.n_tup_upd} updated of which ${t.n_tup_hot_upd} HOT (no index entry), ${t.n_live_tup} live`,
      );
    const { rows } = await pool.query<Record<string, string>>(`
      SELECT calls, rows, plans, total_plan_time + total_exec_time AS total_ms,
             mean_plan_time, mean_exec_time, shared_blks_hit, shared_blks_read, wal_records, wal_bytes,
             regexp_replace(query, '\\s+', ' ', 'g') AS query
        FROM pg_stat_statements
       ORDER BY total_plan_time + total_exec_time DESC`);
    // Per kind: statements per second and their planning + execution per second.
    const kinds = new Map<string, { calls: number; ms: number }>();
    for (const r of rows) {
      const k = kinds.get(kindOf(r.query!)) ?? { calls: 0, ms: 0 };
      k.calls += Number(r.calls);
      k.ms += Number(r.total_ms);
      kinds.set(kindOf(r.query!), k);
    }
    const all = [...kinds.values()].reduce((a, k) => ({ calls: a.calls + k.calls, ms: a.ms + k.ms }), {
      calls: 0,
      ms: 0,
    });
    console.log(
      `  per second: ${[['all', all] as const, ...[...kinds].sort((a, b) => b[1].calls - a[1].calls)]
        .map(
          ([name, k]) =>
            `${name} ${(k.calls / s).toFixed(0)} statements (${(k.ms / s).toFixed(0)} ms planning + execution)`,
        )
        .join(', ')}`,
    );
    for (const r of rows.slice(0, 12)) {
      const calls = Number(r.calls);
      const per = (k: string) => (Number(r[k]) / Math.max(1, calls)).toFixed(1);
      console.log(
        `  ${String(calls).padStart(6)} calls, ${Number(r.total_ms).toFixed(0).padStart(6)} ms in all: plan ${Number(r.mean_plan_time).toFixed(3)} (${r.plans} plans) + exec ${Number(r.mean_exec_time).toFixed(3)} ms per call, ${per('rows')} rows, ${per('shared_blks_hit')} blocks hit, ${per('wal_records')} WAL records / ${per('wal_bytes')} B — ${r.query!.slice(0, 110)}`,
      );
    }
  };
}
