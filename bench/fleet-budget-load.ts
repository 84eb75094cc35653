/**
 * The lease-latency load of the budget bench (bench/fleet-budget.ts): open-loop requests at a
 * fixed rate, each answer's latency and the hub's own stages (its Server-Timing header). Runs in
 * the bench process, or — MEDIC_BENCH_BUDGET_CLIENTS=K, default 2 — in K child processes, each
 * with its own event loop, sockets and share of the nodes and of the rate, so that measuring
 * does not share one loop with generating 2,000 requests/s (lease + finish) and collecting them.
 * Run as a child (`node --import tsx bench/fleet-budget-load.ts child`) it takes one phase over
 * IPC and sends back its result.
 */
import { randomUUID } from 'node:crypto';
import { FINISH_PATH, LEASE_PATH } from '../src/fleet/budget-protocol.js';
import { limitsOf, poster, SERVICES, sleep, stormPolicy } from './fleet-budget-common.js';
import { leanPoster } from './lean-http.js';
import { type LoopStalls, watchLoop } from './loop-watch.js';

/** One answer: the client's latency and the hub's own stages (its Server-Timing header), ms. */
export interface Sample {
  ms: number;
  server: Record<string, number>;
}

export interface Latencies {
  /** Every request's latency, ms (a failure is Infinity). */
  all: number[];
  samples: Sample[];
  stalls: LoopStalls;
  granted: number;
  denied: number;
  failed: number;
  /** This generator's own CPU (user + system) from the start of the measured load to its last answer, µs. */
  cpuUs: number;
}

/** One phase: `lease` (grants finished 100 ms later) or `cheapest` (a finish of an unknown lease). */
export interface Phase {
  kind: 'lease' | 'cheapest';
  hubUrl: string;
  secrets: string[];
  /** Nodes' numbers (for lease ids), parallel to `secrets`. */
  nodes: number[];
  rate: number;
  seconds: number;
  /** Group name prefix (lease phases of different hubs use different groups). */
  tag: string;
}

/** Keep-alive sockets to the hub: about one per node, as 1,000 agents would have. */
const SOCKETS = 1024;

/** Open-loop calls at `rate`/s for `seconds` (a tick every 10 ms); latencies and hub stages. */
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
  let owed = 0;
  const t0 = performance.now();
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    owed += perTick;
    for (; owed >= 1; owed--) {
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
 * The generators' HTTP client: the lean one (bench/lean-http.ts), or node's `http` with
 * MEDIC_BENCH_BUDGET_HTTP=node (the client of runs 1–7, for comparing the measurement itself).
 */
const posterFor = (hubUrl: string) =>
  process.env.MEDIC_BENCH_BUDGET_HTTP === 'node' ? poster(hubUrl, SOCKETS) : leanPoster(hubUrl, SOCKETS);

/**
 * Runs one phase here: warms every node's token and connection (1 s), then measures once `ready`
 * resolves — the bench starts every generator's load at once, after all have warmed up (else one
 * generator's warm-up burst lands in another's measured second).
 */
export async function runPhase(p: Phase, ready: () => Promise<void> = async () => {}): Promise<Latencies> {
  const post = posterFor(p.hubUrl);
  // Every node is an active agent in a storm, with its connection open and its token known to
  // the hub: one request per node at once, in rounds of 100 (opens about one kept-alive socket
  // per node; a new connection under load may wait for a SYN retransmit, 1 s — measured: the
  // slowest 1 % were all on new connections). Not measured.
  for (let i = 0; i < p.secrets.length; i += 100)
    await Promise.all(
      p.secrets
        .slice(i, i + 100)
        .map((s) => post(FINISH_PATH, s, { id: `warm-${randomUUID()}` }, 10_000).catch(() => null)),
    );
  await Promise.all(
    p.secrets.map((s) => post(FINISH_PATH, s, { id: `warm-${randomUUID()}` }, 10_000).catch(() => null)),
  );
  const limits = limitsOf(stormPolicy('bench-latency'));
  const pick = () => Math.floor(Math.random() * p.secrets.length);
  let granted = 0;
  let denied = 0;
  const finishes: Promise<unknown>[] = [];
  const samples: Sample[] = [];
  const lease = (groups: string) => async () => {
    const i = pick();
    const k = Math.floor(Math.random() * SERVICES);
    const id = `n${p.nodes[i]}/svc-${k}/${randomUUID()}`;
    const res = await post(LEASE_PATH, p.secrets[i]!, {
      group: `${groups}-${k}`,
      limits,
      id,
      service: `svc-${k}`,
      operator: false,
    });
    if (res.status !== 200) throw new Error(`lease ${res.status}`);
    if (res.fresh) res.timing.fresh = 1;
    if (res.body?.granted) {
      granted++;
      finishes.push(sleep(100).then(() => post(FINISH_PATH, p.secrets[i]!, { id }).catch(() => null)));
    } else denied++;
    return res.timing;
  };
  const cheapest = async () => {
    const res = await post(FINISH_PATH, p.secrets[pick()]!, { id: `none-${randomUUID()}` });
    if (res.status !== 200) throw new Error(`finish ${res.status}`);
    if (res.fresh) res.timing.fresh = 1;
    return res.timing;
  };
  // MEDIC_BENCH_BUDGET_WARM_S: the phase's own load for that long first, not measured (leases in
  // groups of their own, so the measured groups start empty) — the hub's code for the phase is
  // compiled by then (measured: its JIT compiler took ~14 % of the hub's CPU in the first 5 s).
  // Default 5 s: the goal is the hub's steady state (s9); 0 gives runs 1–10's cold measurement.
  const warmS = Number(process.env.MEDIC_BENCH_BUDGET_WARM_S ?? 5);
  if (warmS > 0) {
    await openLoop(p.rate, warmS, p.kind === 'lease' ? lease(`latency-${p.tag}-warm`) : cheapest);
    await Promise.all(finishes.splice(0));
    granted = 0;
    denied = 0;
  }
  await ready();
  const cpu0 = process.cpuUsage();
  const stop = watchLoop();
  const all = await openLoop(
    p.rate,
    p.seconds,
    p.kind === 'lease' ? lease(`latency-${p.tag}`) : cheapest,
    samples,
  );
  const stalls = stop();
  await Promise.all(finishes);
  const cpu = process.cpuUsage(cpu0);
  return {
    all,
    samples,
    stalls,
    granted,
    denied,
    failed: all.filter((x) => !Number.isFinite(x)).length,
    cpuUs: cpu.user + cpu.system,
  };
}

// As a child: takes its phase, says `ready` once warmed up, starts on `go`, sends its result.
if (process.argv[2] === 'child' && process.send) {
  process.once('message', async (p: Phase) => {
    const result = await runPhase(
      p,
      () =>
        new Promise<void>((go) => {
          process.once('message', () => go());
          process.send!('ready');
        }),
    );
    process.send!(result, () => process.exit(0));
  });
}
