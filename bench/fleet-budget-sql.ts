/**
 * What the lease path's statements cost, in CPU rather than latency (issue 16): on a shared
 * 2-core machine a latency is mostly the scheduler's, but the CPU a lease takes from PostgreSQL's
 * backends and from the hub process is what every other request waits behind. Runs the hub's own
 * functions against the database of MEDIC_TEST_PG_URL (a throwaway one: scripts/with-postgres.sh),
 * sequentially, shaped like the latency bench: batches of GROUPS groups × PER_GROUP new leases
 * (arbitrateGroups, with the replica's LeaseCache), each batch's leases finished one batch later
 * (endLeases, one statement, as the FinishBatcher does; the cache told what ended, as the hub's
 * is). Prints, per lease (its finish included):
 * PostgreSQL's CPU (every child of the postmaster: backends, WAL writer, checkpointer), this
 * process's CPU, and the wall time — alternating the ways given, ROUNDS each.
 *
 * Second part, the finishes alone: a stream of FINISH_RATE finishes a second for FINISH_SECONDS
 * through the hub's FinishBatcher — its gap between statements (FINISH_GAP_MS) against none (each
 * statement as soon as the previous one ended, the policy before run 11) — with a connection
 * LISTENing on the hub's channel as every replica's bus does (the NOTIFY of each ending is
 * delivered to it): PostgreSQL's CPU per finish, statements per second, finishes per statement.
 * MEDIC_BENCH_SQL_PART=lease|finish runs one part.
 *
 * `npx tsx bench/fleet-budget-sql.ts` under scripts/with-postgres.sh. Not part of `bench/run.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock/clock.js';
import { endLeases } from '../src/hub/budget.js';
import { LeaseCache } from '../src/hub/budget-cache.js';
import { FINISH_GAP_MS, FinishBatcher } from '../src/hub/budget-finish-batch.js';
import { arbitrateGroups } from '../src/hub/budget-tx.js';
import { migrateHub, openHubDatabase } from '../src/hub/db.js';
import { HUB_CHANNEL } from '../src/hub/events.js';
import { childrenUs } from './cpu-share.js';
import { pgStatements } from './pg-stats.js';

const GROUPS = 8;
const PER_GROUP = 2;
const BATCHES = Number(process.env.MEDIC_BENCH_SQL_BATCHES ?? 400);
const ROUNDS = Number(process.env.MEDIC_BENCH_SQL_ROUNDS ?? 3);
const PART = process.env.MEDIC_BENCH_SQL_PART;
const FINISH_RATE = 1000;
const FINISH_SECONDS = 3;
const FINISH_GROUPS = 20;
/** The gaps compared (ms): none (the policy before run 11) and the hub's; MEDIC_BENCH_SQL_GAPS=0,5,20… */
const GAPS = (process.env.MEDIC_BENCH_SQL_GAPS ?? `0,${FINISH_GAP_MS}`).split(',').map(Number);

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

for (const mode of PART === 'finish' ? [] : (['optimistic', 'locked'] as const))
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
      if (open.length > 0) {
        // The replica's cache takes in what its finishes ended (src/hub/app.ts: LeaseBatcher.ended).
        const ended = await endLeases(hub.db, open, t);
        cache.ended([...ended].map(([id, group]) => ({ id, group, endedAt: t })));
      }
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

/**
 * FINISH_RATE finishes a second, one every ms (node's timers: ticks of 1 ms), of leases inserted
 * beforehand, through `batcher`.
 */
async function finishStream(batcher: FinishBatcher, tag: string): Promise<number> {
  const n = FINISH_RATE * FINISH_SECONDS;
  const ids = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  await hub.pool.query(
    `INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, operator)
     SELECT id, 'sql-finish-' || (k % $2), 'n', 's', $3::bigint, $3::bigint + 70000, false
       FROM unnest($1::text[]) WITH ORDINALITY AS x(id, k)`,
    [ids, FINISH_GROUPS, Date.now()],
  );
  const answers: Promise<boolean>[] = [];
  const t0 = performance.now();
  for (let tick = 0; answers.length < n; tick++) {
    while (answers.length < Math.min(n, ((tick + 1) * FINISH_RATE) / 100))
      answers.push(batcher.finish(ids[answers.length]!));
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (tick + 1) * 10 - performance.now())));
  }
  const ended = (await Promise.all(answers)).filter(Boolean).length;
  if (ended !== n) throw new Error(`ended ${ended} of ${n}`);
  return n;
}

if (PART !== 'lease') {
  // Every replica's bus LISTENs on the hub's channel: each ending's NOTIFY is delivered to it.
  const bus = new pg.Client({ connectionString: url });
  await bus.connect();
  await bus.query(`LISTEN ${HUB_CHANNEL}`);
  for (let round = 0; round < ROUNDS; round++)
    for (const gap of GAPS) {
      const batcher = new FinishBatcher(hub.db, systemClock, 500, gap);
      const a = { pg: pgUs(), self: selfUs() };
      const n = await finishStream(batcher, `f-${round}-${gap}`);
      const per = (us: number) => (us / n).toFixed(0);
      console.log(
        `finishes, gap ${String(gap).padStart(2)} ms, round ${round}: per finish PostgreSQL ${per(pgUs() - a.pg)} µs CPU, this process ${per(selfUs() - a.self)} µs CPU; ${(batcher.stats.batches / FINISH_SECONDS).toFixed(0)} statements/s, ${(n / batcher.stats.batches).toFixed(1)} finishes per statement (${FINISH_RATE}/s over ${FINISH_GROUPS} groups)`,
      );
    }
  await bus.end();
}
await hub.close();
