/**
 * The fleet restart budget at scale (issue 16), a section of bench/fleet.bench.ts: a real
 * `medic hub` process, a real PostgreSQL, real HTTP; agents are simulated in this process.
 *
 * - lease latency: lease requests (POST /agent/v1/budget/lease) open-loop at ~1,000 requests/s
 *   from N nodes across 20 groups (one per service name, maxConcurrent 50), granted leases
 *   finished 100 ms later; p50/p99 of the answer, against two same-run baselines: the same load
 *   on a second hub process with one transaction per request (MEDIC_HUB_BUDGET_BATCH=1), and the
 *   cheapest authenticated agent request at the same rate (a finish of an unknown lease: one
 *   UPDATE, no lock);
 * - storm (bench/fleet-budget-storm.ts): N nodes × 20 services crashing at once, run twice —
 *   without the slot notification (the same-run baseline), then with it.
 * MEDIC_BENCH_BUDGET_ONLY=storm|latency runs one part; MEDIC_BENCH_BUDGET_BASELINE=0 skips the
 * storm's baseline run.
 */

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { FINISH_PATH, LEASE_PATH } from '../src/fleet/budget-protocol.js';
import { limitsOf, pct, poster, SERVICES, sleep, stormPolicy } from './fleet-budget-common.js';
import { storms } from './fleet-budget-storm.js';
import { describeStalls, type LoopStalls, watchLoop } from './loop-watch.js';
import { report } from './report.js';

const RATE = 1000;
const RATE_SECONDS = 5;
/** Keep-alive sockets to the hub: one per node as 1,000 agents would have (not 256 shared: a hub stall then queued requests in this process, counted as the hub's latency). */
const SOCKETS = 1024;

/** One answer: the client's latency and the hub's own stages (its Server-Timing header), ms. */
interface Sample {
  ms: number;
  server: Record<string, number>;
}

/**
 * Open-loop requests at `rate`/s for `seconds`; returns each answer's latency in ms (failures as
 * Infinity) and, in `samples`, the hub's stages of each answered one.
 */
async function openLoop(
  rate: number,
  seconds: number,
  one: () => Promise<Record<string, number> | undefined>,
  samples: Sample[] = [],
): Promise<number[]> {
  const latencies: number[] = [];
  const jobs: Promise<void>[] = [];
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  const t0 = performance.now();
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    for (let j = 0; j < perTick; j++) {
      const t = performance.now();
      jobs.push(
        one().then(
          (server) => {
            const ms = performance.now() - t;
            latencies.push(ms);
            if (server) samples.push({ ms, server });
          },
          () => void latencies.push(Number.POSITIVE_INFINITY),
        ),
      );
    }
    // Keep the schedule (open loop): the next tick at its due time, not after the answers.
    await sleep(Math.max(0, t0 + (k + 1) * tickMs - performance.now()));
  }
  await Promise.all(jobs);
  return latencies;
}

/**
 * Warms the connections and the hub's token cache: one finish per node over 1 s (every node is
 * an active agent in a storm; its first request's token lookup is not what is measured).
 */
async function warm(post: ReturnType<typeof poster>, secrets: string[]): Promise<void> {
  let i = 0;
  await openLoop(secrets.length, 1, async () => {
    await post(FINISH_PATH, secrets[i++ % secrets.length]!, { id: `warm-${randomUUID()}` });
    return undefined;
  });
}

interface Latencies {
  all: number[];
  samples: Sample[];
  stalls: LoopStalls;
  granted: number;
  denied: number;
  failed: number;
}

/** Lease requests open-loop at RATE for RATE_SECONDS; grants finished 100 ms later. */
async function leaseLoop(hubUrl: string, secrets: string[], tag: string): Promise<Latencies> {
  const post = poster(hubUrl, SOCKETS);
  const limits = limitsOf(stormPolicy('bench-latency'));
  const pick = () => Math.floor(Math.random() * secrets.length);
  await warm(post, secrets);
  let granted = 0;
  let denied = 0;
  const finishes: Promise<unknown>[] = [];
  const samples: Sample[] = [];
  const stop = watchLoop();
  const all = await openLoop(
    RATE,
    RATE_SECONDS,
    async () => {
      const i = pick();
      const k = Math.floor(Math.random() * SERVICES);
      const id = `n${i}/svc-${k}/${randomUUID()}`;
      const res = await post(LEASE_PATH, secrets[i]!, {
        group: `latency-${tag}-${k}`,
        limits,
        id,
        service: `svc-${k}`,
        operator: false,
      });
      if (res.status !== 200) throw new Error(`lease ${res.status}`);
      if (res.body?.granted) {
        granted++;
        finishes.push(sleep(100).then(() => post(FINISH_PATH, secrets[i]!, { id }).catch(() => null)));
      } else denied++;
      return res.timing;
    },
    samples,
  );
  const stalls = stop();
  await Promise.all(finishes);
  return { all, samples, stalls, granted, denied, failed: all.filter((x) => !Number.isFinite(x)).length };
}

/**
 * Prints where a phase's time went: the client's latency, the hub's own time (Server-Timing
 * `total`, from the handler's start to its answer) and its stages, and the rest (client − hub:
 * the request's time in sockets and in either process's event loop before the handler ran);
 * the same for the slowest 1 %; the bench process's own loop delay and GC.
 */
function whereTheTimeWent(name: string, samples: Sample[], stalls: LoopStalls): void {
  const stages = [...new Set(samples.flatMap((s) => Object.keys(s.server)))];
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
  console.log(`  bench process: ${describeStalls(stalls)}`);
}

async function leaseLatency(hubUrl: string, secrets: string[], perRequest: Latencies): Promise<void> {
  const post = poster(hubUrl, SOCKETS);
  const pick = () => Math.floor(Math.random() * secrets.length);
  await warm(post, secrets);
  const cheapSamples: Sample[] = [];
  const stop = watchLoop();
  const cheapest = await openLoop(
    RATE,
    RATE_SECONDS,
    async () => {
      const res = await post(FINISH_PATH, secrets[pick()]!, { id: `none-${randomUUID()}` });
      if (res.status !== 200) throw new Error(`finish ${res.status}`);
      return res.timing;
    },
    cheapSamples,
  );
  const cheapStalls = stop();
  const lease = await leaseLoop(hubUrl, secrets, 'batched');
  whereTheTimeWent('cheapest (finish of an unknown lease)', cheapSamples, cheapStalls);
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
): Promise<void> {
  if (process.env.MEDIC_BENCH_BUDGET_ONLY === 'storm') return storms(hubUrl, secrets, pool);
  // The same-run baseline of the lease path: a second hub on the same database that runs one
  // transaction per lease request (MEDIC_HUB_BUDGET_BATCH=1), measured first.
  const single = await spawnHub({ MEDIC_HUB_BUDGET_BATCH: '1' });
  let perRequest: Latencies;
  try {
    perRequest = await leaseLoop(single.url, secrets, 'single');
  } finally {
    single.child.kill('SIGTERM');
    await new Promise((r) => single.child.once('exit', r));
  }
  await leaseLatency(hubUrl, secrets, perRequest);
  if (process.env.MEDIC_BENCH_BUDGET_ONLY === 'latency') return;
  await storms(hubUrl, secrets, pool);
}
