/**
 * The fleet restart budget at scale (issue 16), a section of bench/fleet.bench.ts: a real
 * `medic hub` process, a real PostgreSQL, real HTTP; agents are simulated (the latency part's in
 * MEDIC_BENCH_BUDGET_CLIENTS child processes, default 2, bench/fleet-budget-load.ts; the storm's
 * in this process).
 *
 * - lease latency: lease requests (POST /agent/v1/budget/lease) open-loop at ~1,000 requests/s
 *   from N nodes across 20 groups (one per service name, maxConcurrent 50), granted leases
 *   finished 100 ms later; p50/p99 of the answer, against two same-run baselines: the same load
 *   on a second hub process with one transaction per request (MEDIC_HUB_BUDGET_BATCH=1), and the
 *   cheapest authenticated agent request at the same rate (a finish of an unknown lease: one
 *   UPDATE, no lock) from the same generator; then where the time went (the hub's Server-Timing
 *   stages against the client's latency, the generators' loop delay and GC);
 * - storm (bench/fleet-budget-storm.ts): N nodes × 20 services crashing at once, run twice —
 *   without the slot notification (the same-run baseline), then with it.
 * MEDIC_BENCH_BUDGET_ONLY=storm|latency runs one part; MEDIC_BENCH_BUDGET_BASELINE=0 skips the
 * storm's baseline run; MEDIC_BENCH_BUDGET_WARM_S=S runs each latency phase's own load S seconds
 * before measuring it (default 5 since s9: the hub's steady state, its code compiled; 0: only one
 * finish per node first, as in runs 1–10, whose first seconds the hub's JIT compiler shared).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { childrenUs, machineUs, pidUs } from './cpu-share.js';
import { pct } from './fleet-budget-common.js';
import { type Latencies, type Phase, runPhase, type Sample } from './fleet-budget-load.js';
import { storms } from './fleet-budget-storm.js';
import { describeStalls, type LoopStalls } from './loop-watch.js';
import { pgStatements } from './pg-stats.js';
import { report } from './report.js';

const RATE = 1000;
const RATE_SECONDS = 5;
/** Load generators in child processes (bench/fleet-budget-load.ts); 0 = in this process. */
const CLIENTS = Number(process.env.MEDIC_BENCH_BUDGET_CLIENTS ?? 2);

/** What the phase's measured seconds cost in CPU: the hub process, PostgreSQL's backends, the machine. */
interface PhaseCpu {
  hubUs: number;
  pgUs: number;
  /** Of which PostgreSQL's own workers (autovacuum, WAL writer, checkpointer…), not the hub's backends. */
  pgBackgroundUs: number;
  machineUs: number;
  seconds: number;
  /** The measured span as CLOCK_MONOTONIC µs `FROM TO` (for bench/cpuprofile.ts). */
  window: string;
}

/** The throwaway server's postmaster (scripts/with-postgres.sh), whose children are its backends. */
function postmasterPid(): number | undefined {
  const dir = process.env.MEDIC_TEST_PG_DIR;
  if (!dir) return undefined;
  try {
    return Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** A PostgreSQL process that serves no client: autovacuum, WAL writer, checkpointer, launchers. */
function background(pid: number): boolean {
  try {
    return /autovacuum|walwriter|checkpointer|background writer|launcher/.test(
      readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
    );
  } catch {
    return false;
  }
}

function cpuNow(hubPid: number | undefined) {
  const pm = postmasterPid();
  return {
    at: performance.now(),
    // CLOCK_MONOTONIC µs, the clock of a V8 .cpuprofile (bench/cpuprofile.ts FROM TO).
    mono: Number(process.hrtime.bigint() / 1000n),
    hub: hubPid === undefined ? 0 : pidUs(hubPid),
    pg: pm === undefined ? new Map<number, number>() : childrenUs(pm),
    machine: machineUs(),
  };
}

function cpuSince(a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>): PhaseCpu {
  let pgUs = 0;
  let pgBackgroundUs = 0;
  for (const [pid, us] of b.pg) {
    const d = us - (a.pg.get(pid) ?? 0);
    pgUs += d;
    if (background(pid)) pgBackgroundUs += d;
  }
  return {
    hubUs: b.hub - a.hub,
    pgUs,
    pgBackgroundUs,
    machineUs: b.machine - a.machine,
    seconds: (b.at - a.at) / 1000,
    window: `${a.mono} ${b.mono}`,
  };
}

/**
 * One phase at RATE for RATE_SECONDS against `hubUrl`: in CLIENTS child processes (each its
 * share of the nodes and of the rate; every one warms up, then all start at once; their answers
 * merged, their worst loop stalls kept), or here when CLIENTS is 0. `cpu` gets the CPU the
 * measured load cost (from the start to the last answer, the grants' finishes included).
 */
async function phase(
  kind: Phase['kind'],
  hubUrl: string,
  secrets: string[],
  tag: string,
  hubPid?: number,
  cpu?: (c: PhaseCpu) => void,
  /** Called as the measured load starts (after the warm-up); what it returns, once all answered. */
  window?: () => Promise<() => Promise<void>>,
): Promise<Latencies> {
  const all = secrets.map((_, i) => i);
  const spec = (mine: number[], rate: number): Phase => ({
    kind,
    hubUrl,
    secrets: mine.map((i) => secrets[i]!),
    nodes: mine,
    rate,
    seconds: RATE_SECONDS,
    tag,
  });
  let end: (() => Promise<void>) | undefined;
  if (CLIENTS === 0) {
    let t0 = cpuNow(hubPid);
    const one = await runPhase(spec(all, RATE), async () => {
      end = await window?.();
      t0 = cpuNow(hubPid);
    });
    cpu?.(cpuSince(t0, cpuNow(hubPid)));
    await end?.();
    return one;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  let readyLeft = CLIENTS;
  let allReady!: () => void;
  const ready = new Promise<void>((r) => {
    allReady = r;
  });
  const children: ChildProcess[] = [];
  const done = Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(here, 'fleet-budget-load.ts'), 'child'],
        {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          serialization: 'advanced',
        },
      );
      children.push(child);
      const answer = new Promise<Latencies>((resolve, reject) => {
        child.on('message', (m) => {
          if (m === 'ready') {
            if (--readyLeft === 0) allReady();
          } else resolve(m as Latencies);
        });
        child.once('exit', (code) => reject(new Error(`load generator exited ${code}`)));
      });
      child.send(
        spec(
          all.filter((i) => i % CLIENTS === c),
          RATE / CLIENTS,
        ),
      );
      return answer;
    }),
  );
  // Every generator warmed up: all start now, and the CPU counted is the measured load's.
  const started = ready.then(async () => {
    end = await window?.();
    const t0 = cpuNow(hubPid);
    for (const child of children) child.send('go');
    return t0;
  });
  const results = await done;
  cpu?.(cpuSince(await started, cpuNow(hubPid)));
  await end?.();
  const worst = (f: (s: LoopStalls) => number) => Math.max(...results.map((r) => f(r.stalls)));
  return {
    all: results.flatMap((r) => r.all),
    samples: results.flatMap((r) => r.samples),
    stalls: {
      loopP99: worst((s) => s.loopP99),
      loopMax: worst((s) => s.loopMax),
      gcs: results.reduce((n, r) => n + r.stalls.gcs, 0),
      gcMs: results.reduce((n, r) => n + r.stalls.gcMs, 0),
      gcMaxMs: worst((s) => s.gcMaxMs),
    },
    granted: results.reduce((n, r) => n + r.granted, 0),
    denied: results.reduce((n, r) => n + r.denied, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    cpuUs: results.reduce((n, r) => n + r.cpuUs, 0),
  };
}

/**
 * CPU per request of a phase: the hub, PostgreSQL's backends, the load generators, and the rest
 * of the machine (other users' work on a shared one) — the machine's 2 cores over the same time.
 */
function describeCpu(name: string, l: Latencies, c: PhaseCpu): void {
  const n = l.all.length;
  const per = (us: number) => `${(us / n).toFixed(0)} µs`;
  const rest = c.machineUs - c.hubUs - c.pgUs - l.cpuUs;
  console.log(
    `CPU per request — ${name}, ${n} requests in ${c.seconds.toFixed(1)} s: hub ${per(c.hubUs)}, PostgreSQL ${per(c.pgUs)} (its own workers ${per(c.pgBackgroundUs)}), load generators ${per(l.cpuUs)}, rest of the machine ${per(rest)} (machine busy ${((100 * c.machineUs) / (c.seconds * 1e6 * cpus().length)).toFixed(0)} % of ${cpus().length} cores)`,
  );
  if (process.env.MEDIC_BENCH_HUB_CPU_PROF || process.env.MEDIC_BENCH_HUB_PERF)
    console.log(`  hub profile window (µs): ${c.window}`);
}

/**
 * Prints where a phase's time went: the client's latency, the hub's own time (Server-Timing
 * `total`, from the handler's start to its answer) and its stages, and the rest (client − hub:
 * the request's time in sockets and in either process's event loop before the handler ran);
 * the same for the slowest 1 %; the bench process's own loop delay and GC.
 */
function whereTheTimeWent(name: string, samples: Sample[], stalls: LoopStalls): void {
  const stages = [...new Set(samples.flatMap((s) => Object.keys(s.server)))].filter((k) => k !== 'fresh');
  const row = (label: string, xs: Sample[]) => {
    const part = (f: (s: Sample) => number) => {
      const v = xs.map(f);
      return `${pct(v, 50).toFixed(1)}/${pct(v, 99).toFixed(1)}`;
    };
    const cols = [
      `client ${part((s) => s.ms)}`,
      ...stages.map((k) => `${k} ${part((s) => s.server[k] ?? 0)}`),
      `outside the hub ${part((s) => s.ms - (s.server.total ?? 0))}`,
    ];
    console.log(`  ${label.padEnd(12)} ${cols.join(', ')} ms (p50/p99)`);
  };
  const slow = [...samples].sort((a, b) => a.ms - b.ms).slice(Math.floor(samples.length * 0.99));
  console.log(`where the time went — ${name}, ${samples.length} answers:`);
  row('all', samples);
  row('slowest 1 %', slow);
  const fresh = (xs: Sample[]) => xs.filter((s) => s.server.fresh).length;
  console.log(
    `  on a new connection: ${fresh(samples)} of ${samples.length} answers, ${fresh(slow)} of the slowest ${slow.length}`,
  );
  console.log(`  bench process: ${describeStalls(stalls)}`);
}

/**
 * MEDIC_BENCH_PG_STATS=1: PostgreSQL's per-statement costs of a phase's measured load, from its
 * start (after the warm-up) to its last answer (bench/pg-stats.ts).
 */
const statsWindow = (pool: pg.Pool, label: string) =>
  process.env.MEDIC_BENCH_PG_STATS ? () => pgStatements(pool, label) : undefined;

async function leaseLatency(
  hubUrl: string,
  secrets: string[],
  perRequest: Latencies,
  pool: pg.Pool,
  hubPid: number | undefined,
): Promise<void> {
  const costs: [string, Latencies, PhaseCpu][] = [];
  let cpu!: PhaseCpu;
  const keep = (c: PhaseCpu) => {
    cpu = c;
  };
  const cheap = await phase('cheapest', hubUrl, secrets, 'none', hubPid, keep, statsWindow(pool, 'cheapest'));
  costs.push(['cheapest (finish of an unknown lease)', cheap, cpu]);
  const cheapest = cheap.all;
  const lease = await phase('lease', hubUrl, secrets, 'batched', hubPid, keep, statsWindow(pool, 'lease'));
  costs.push(['lease (its finish included)', lease, cpu]);
  for (const [name, l, c] of costs) describeCpu(name, l, c);
  whereTheTimeWent('cheapest (finish of an unknown lease)', cheap.samples, cheap.stalls);
  whereTheTimeWent('lease', lease.samples, lease.stalls);
  const note = (l: Latencies) =>
    `${l.granted} granted, ${l.denied} denied${l.failed ? `, ${l.failed} failed` : ''}`;
  for (const p of [50, 99]) {
    report({
      bench: 'fleet',
      metric: `budget lease p${p} at ${RATE} req/s (${note(lease)})`,
      value: pct(lease.all, p),
      unit: 'ms',
      baseline: { name: `one tx per request (${note(perRequest)})`, value: pct(perRequest.all, p) },
      ...(p === 99 ? { goal: '≤ 50 ms' } : {}),
    });
    report({
      bench: 'fleet',
      metric: `budget lease p${p} vs the cheapest agent request`,
      value: pct(lease.all, p),
      unit: 'ms',
      baseline: { name: 'finish of an unknown lease', value: pct(cheapest, p) },
    });
  }
}

/** The budget section: `secrets` are the nodes' agent tokens (already in the hub's table). */
export async function budgetSection(
  hubUrl: string,
  secrets: string[],
  pool: pg.Pool,
  spawnHub: (env: Record<string, string>) => Promise<{ child: ChildProcess; url: string }>,
  /** The hub process behind `hubUrl` (its CPU per request is printed). */
  hubPid?: number,
): Promise<void> {
  if (process.env.MEDIC_BENCH_BUDGET_ONLY === 'storm') return storms(hubUrl, secrets, pool);
  // The same-run baseline of the lease path: a second hub on the same database that runs one
  // transaction per lease request (MEDIC_HUB_BUDGET_BATCH=1), measured first.
  const single = await spawnHub({ MEDIC_HUB_BUDGET_BATCH: '1' });
  let perRequest: Latencies;
  try {
    perRequest = await phase('lease', single.url, secrets, 'single', single.child.pid);
  } finally {
    single.child.kill('SIGTERM');
    await new Promise((r) => single.child.once('exit', r));
  }
  await leaseLatency(hubUrl, secrets, perRequest, pool, hubPid);
  if (process.env.MEDIC_BENCH_BUDGET_ONLY === 'latency') return;
  await storms(hubUrl, secrets, pool);
}
