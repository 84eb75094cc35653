/**
 * What the lease path's statements cost, in CPU rather than latency (issue 16): on a shared
 * 2-core machine a latency is mostly the scheduler's, but the CPU a lease takes from PostgreSQL's
 * backends and from the hub process is what every other request waits behind. Runs the hub's own
 * functions against the database of MEDIC_TEST_PG_URL (a throwaway one: scripts/with-postgres.sh),
 * sequentially, shaped like the latency bench: batches of GROUPS groups × PER_GROUP new leases
 * (arbitrateGroups, with the replica's LeaseCache), each batch's leases finished one batch later
 * (endLeases, one statement, as the FinishBatcher does). Prints, per lease (its finish included):
 * PostgreSQL's CPU (every child of the postmaster: backends, WAL writer, checkpointer), this
 * process's CPU, and the wall time — alternating the ways given, ROUNDS each.
 *
 * `npx tsx bench/fleet-budget-sql.ts` under scripts/with-postgres.sh. Not part of `bench/run.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { endLeases } from '../src/hub/budget.js';
import { LeaseCache } from '../src/hub/budget-cache.js';
import { arbitrateGroups } from '../src/hub/budget-tx.js';
import { migrateHub, openHubDatabase } from '../src/hub/db.js';
import { childrenUs } from './cpu-share.js';
import { pgStatements } from './pg-stats.js';

const GROUPS = 8;
const PER_GROUP = 2;
const BATCHES = Number(process.env.MEDIC_BENCH_SQL_BATCHES ?? 400);
const ROUNDS = Number(process.env.MEDIC_BENCH_SQL_ROUNDS ?? 3);

const url = process.env.MEDIC_TEST_PG_URL;
const dir = process.env.MEDIC_TEST_PG_DIR;
if (!url || !dir) throw new Error('run under scripts/with-postgres.sh');
const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
const pgUs = () => [...childrenUs(postmaster).values()].reduce((a, b) => a + b, 0);
const selfUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const hub = openHubDatabase(url);
await migrateHub(hub.pool);
const limits = { maxConcurrent: 50, maxPerWindow: 1_000_000, windowSec: 300, leaseTtlSec: 70 };

for (const mode of ['optimistic', 'locked'] as const)
  for (let round = 0; round < ROUNDS; round++) {
    const cache = new LeaseCache();
    let t = Date.now();
    const clock = { now: () => t };
    let open: string[] = [];
    const stats = process.env.MEDIC_BENCH_PG_STATS
      ? await pgStatements(hub.pool, `${mode} round ${round}`)
      : null;
    const a = { pg: pgUs(), self: selfUs(), at: performance.now() };
    for (let b = 0; b < BATCHES; b++) {
      const batches = new Map(
        Array.from({ length: GROUPS }, (_, g) => [
          `sql-${mode}-${round}-${(b + g) % 20}`,
          Array.from({ length: PER_GROUP }, (_, i) => ({
            limits,
            req: {
              id: `${mode}-${round}-${b}-${g}-${i}`,
              node: `n${i}`,
              service: `svc-${g}`,
              operator: false,
            },
          })),
        ]),
      );
      const answers = await arbitrateGroups(hub.db, batches, clock, cache, () => {}, mode);
      const granted = [...answers.values()].flat().filter((x) => x.granted).length;
      if (granted !== GROUPS * PER_GROUP) throw new Error(`granted ${granted} of ${GROUPS * PER_GROUP}`);
      if (open.length > 0) await endLeases(hub.db, open, t);
      open = [...batches.values()].flat().map((x) => x.req.id);
      t += 20;
    }
    const leases = BATCHES * GROUPS * PER_GROUP;
    const per = (us: number) => (us / leases).toFixed(0);
    console.log(
      `${mode.padEnd(10)} round ${round}: per lease (its finish included) PostgreSQL ${per(pgUs() - a.pg)} µs CPU, this process ${per(selfUs() - a.self)} µs CPU, wall ${per(1000 * (performance.now() - a.at))} µs (${leases} leases in batches of ${GROUPS} groups × ${PER_GROUP})`,
    );
    await stats?.();
  }
await hub.close();
