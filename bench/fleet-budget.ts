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
 * - storm: N nodes × 20 services, every service crashing within 100 ms while their shared
 *   dependency is down for 2 s. Each simulated service runs the real decide() (its budget
 *   requests, denials, re-asks and finishes are decide()'s effects, its ticks at nextWakeAt);
 *   a restart takes RESTART_MS, then the service is healthy if the dependency is up, else it
 *   crashes again. Reported: the time from the dependency's return until every service is
 *   healthy, against the theoretical minimum (members per group / maxConcurrent × restart time;
 *   the groups run side by side), and the peak restarts in flight per group read from the
 *   hub's lease table (must equal maxConcurrent, never exceed it).
 */

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type pg from 'pg';
import { nextWakeAt } from '../src/core/deadline.js';
import { decide } from '../src/core/decide.js';
import { type Policy, policySchema } from '../src/core/policy.js';
import { initialState } from '../src/core/state.js';
import type { Effect, Input, ServiceState } from '../src/core/types.js';
import { FINISH_PATH, LEASE_PATH } from '../src/fleet/budget-protocol.js';
import { report } from './report.js';

const SERVICES = 20;
const MAX_CONCURRENT = Number(process.env.MEDIC_BENCH_BUDGET_MAX ?? 50);
const RESTART_MS = Number(process.env.MEDIC_BENCH_BUDGET_RESTART_MS ?? 200);
const PROBE_MS = 20;
const OUTAGE_MS = 2000;
const RATE = 1000;
const RATE_SECONDS = 5;
const STORM_LIMIT_MS = Number(process.env.MEDIC_BENCH_BUDGET_LIMIT_MS ?? 240_000);
/** Nodes in the storm (default: every node of the bench). */
const STORM_NODES = Number(process.env.MEDIC_BENCH_BUDGET_STORM_NODES ?? Number.POSITIVE_INFINITY);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs JSON over a keep-alive pool (one process stands in for every agent). */
function poster(hubUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const base = new URL(hubUrl);
  return (path: string, secret: string, body: unknown, timeoutMs = 3000) =>
    new Promise<{ status: number; body: Record<string, unknown> | null }>((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${secret}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolve({ status: res.statusCode ?? 0, body: null });
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      // As a real agent: the timeout runs from the call, waiting for a socket included.
      const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', reject);
      req.end(data);
    });
}

const limitsOf = (policy: Policy) => ({
  maxConcurrent: policy.budget!.maxConcurrent,
  maxPerWindow: policy.budget!.maxPerWindow,
  windowSec: policy.budget!.windowSec,
  leaseTtlSec: Math.ceil(2 * policy.startupGraceSec + 60),
});

/** Open-loop requests at `rate`/s for `seconds`; returns each answer's latency in ms. */
async function openLoop(rate: number, seconds: number, one: () => Promise<void>): Promise<number[]> {
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
          () => void latencies.push(performance.now() - t),
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

interface Latencies {
  all: number[];
  granted: number;
  denied: number;
  failed: number;
}

/** Lease requests open-loop at RATE for RATE_SECONDS; grants finished 100 ms later. */
async function leaseLoop(hubUrl: string, secrets: string[], tag: string): Promise<Latencies> {
  const post = poster(hubUrl);
  const limits = limitsOf(stormPolicy('bench-latency'));
  const pick = () => Math.floor(Math.random() * secrets.length);
  // Warm the connections and the token path.
  await openLoop(200, 1, async () => {
    await post(FINISH_PATH, secrets[pick()]!, { id: `warm-${randomUUID()}` });
  });
  let granted = 0;
  let denied = 0;
  const finishes: Promise<unknown>[] = [];
  const all = await openLoop(RATE, RATE_SECONDS, async () => {
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
  });
  await Promise.all(finishes);
  return { all, granted, denied, failed: all.filter((x) => !Number.isFinite(x)).length };
}

async function leaseLatency(hubUrl: string, secrets: string[], perRequest: Latencies): Promise<void> {
  const post = poster(hubUrl);
  const pick = () => Math.floor(Math.random() * secrets.length);
  const cheapest = await openLoop(RATE, RATE_SECONDS, async () => {
    const res = await post(FINISH_PATH, secrets[pick()]!, { id: `none-${randomUUID()}` });
    if (res.status !== 200) throw new Error(`finish ${res.status}`);
  });
  const lease = await leaseLoop(hubUrl, secrets, 'batched');
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

function stormPolicy(group: string): Policy {
  return policySchema.parse({
    failureThreshold: 1,
    startupGraceSec: 5,
    cooldownSec: 1,
    backoff: { initialSec: 1, factor: 1, maxSec: 1 },
    maxRestarts: 50,
    windowSec: 3600,
    budget: {
      group,
      maxConcurrent: MAX_CONCURRENT,
      maxPerWindow: 100_000,
      windowSec: 300,
      onHubUnreachable: 'wait',
      timeoutMs: 3000,
    },
  });
}

/** One simulated service: its state, driven by decide() only. */
interface Sim {
  node: number;
  service: string;
  policy: Policy;
  state: ServiceState;
  timer: NodeJS.Timeout | null;
  /** Budget messages in decision order (a finish never overtakes the next request). */
  chain: Promise<void>;
}

async function storm(hubUrl: string, secrets: string[], pool: pg.Pool): Promise<void> {
  const post = poster(hubUrl);
  const dep = { up: false };
  let stopped = false;
  const leaseMs: number[] = [];
  let requests = 0;
  const policies = Array.from({ length: SERVICES }, (_, k) => stormPolicy(`storm-${k}`));
  const sims: Sim[] = [];
  const nodes = Math.min(secrets.length, STORM_NODES);
  for (let i = 0; i < nodes; i++)
    for (let k = 0; k < SERVICES; k++)
      sims.push({
        node: i,
        service: `svc-${k}`,
        policy: policies[k]!,
        state: initialState(),
        timer: null,
        chain: Promise.resolve(),
      });
  const healthyCount = () => sims.filter((s) => s.state.tag === 'healthy').length;

  const apply = (s: Sim, input: Input) => {
    if (stopped) return;
    const now = Date.now();
    const d = decide(s.state, input, now, s.policy, { node: `n${s.node}`, service: s.service });
    s.state = d.next;
    for (const e of d.effects) effect(s, e);
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    const wake = nextWakeAt(s.state, s.policy, { node: `n${s.node}`, service: s.service });
    if (wake !== null) s.timer = setTimeout(() => apply(s, { type: 'tick' }), Math.max(0, wake - now));
  };
  const effect = (s: Sim, e: Effect) => {
    const secret = secrets[s.node]!;
    if (e.type === 'restart') {
      setTimeout(() => {
        apply(s, { type: 'restart_succeeded' });
        setTimeout(() => apply(s, dep.up ? { type: 'probe_ok' } : { type: 'exited', code: 1 }), PROBE_MS);
      }, RESTART_MS);
    } else if (e.type === 'finish_budget') {
      s.chain = s.chain.then(() =>
        post(FINISH_PATH, secret, { id: e.leaseId }).then(
          () => {},
          () => {},
        ),
      );
    } else if (e.type === 'request_budget') {
      s.chain = s.chain.then(async () => {
        const t = performance.now();
        requests++;
        const body = {
          group: e.group,
          limits: limitsOf(s.policy),
          id: `n${s.node}/${s.service}/${randomUUID()}`,
          service: s.service,
          operator: e.operator,
        };
        let answer: Input;
        try {
          const res = await post(LEASE_PATH, secret, body, s.policy.budget!.timeoutMs);
          leaseMs.push(performance.now() - t);
          const r = res.body as {
            granted?: boolean;
            lease?: { id: string };
            retryAt?: number;
            retryInMs?: number;
            position?: number;
            numbers?: { inFlight: number; usedInWindow: number; waiting: number };
          } | null;
          if (res.status !== 200 || !r?.numbers)
            answer = { type: 'budget_unreachable', reason: `${res.status}` };
          else if (r.granted)
            answer = {
              type: 'budget_granted',
              leaseId: r.lease!.id,
              ...r.numbers,
              ...(e.operator ? { operator: true } : {}),
            };
          else
            answer = {
              type: 'budget_denied',
              retryInMs: r.retryInMs ?? Math.max(0, r.retryAt! - Date.now()),
              position: r.position!,
              ...r.numbers,
            };
        } catch (err) {
          answer = { type: 'budget_unreachable', reason: (err as Error).message };
        }
        apply(s, answer);
      });
    }
  };

  const t0 = Date.now();
  await Promise.all(
    sims.map(
      (s) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            apply(s, { type: 'exited', code: 1 });
            resolve();
          }, Math.random() * 100),
        ),
    ),
  );
  await sleep(Math.max(0, t0 + OUTAGE_MS - Date.now()));
  dep.up = true;
  const upAt = Date.now();
  const requestsAtUp = requests;
  while (healthyCount() < sims.length && Date.now() - upAt < STORM_LIMIT_MS) await sleep(50);
  const doneMs = Date.now() - upAt;
  const done = healthyCount();
  stopped = true;
  for (const s of sims) if (s.timer) clearTimeout(s.timer);
  await Promise.race([Promise.all(sims.map((s) => s.chain)), sleep(10_000)]);

  const members = nodes;
  const minimumMs = Math.ceil(members / MAX_CONCURRENT) * (RESTART_MS + PROBE_MS);
  report({
    bench: 'fleet',
    metric: `storm ${sims.length} svc: dependency back → all healthy${done < sims.length ? ` (${done} only)` : ''}`,
    value: doneMs,
    unit: 'ms',
    baseline: { name: `minimum ${members}/${MAX_CONCURRENT}×${RESTART_MS + PROBE_MS} ms`, value: minimumMs },
  });
  const { rows } = await pool.query<{ group: string; granted_at: string; until: string }>(
    `SELECT "group", granted_at, COALESCE(ended_at, expires_at) AS until FROM budget_leases
      WHERE "group" LIKE 'storm-%' AND NOT operator`,
  );
  const byGroup = new Map<string, [number, number][]>();
  for (const r of rows) {
    const list = byGroup.get(r.group) ?? [];
    list.push([Number(r.granted_at), 1], [Number(r.until), -1]);
    byGroup.set(r.group, list);
  }
  let peak = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (const points of byGroup.values()) {
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let p = 0;
    for (const [, d] of points) {
      cur += d;
      p = Math.max(p, cur);
    }
    peak = Math.max(peak, p);
    lowest = Math.min(lowest, p);
  }
  report({
    bench: 'fleet',
    metric: `storm peak restarts in flight per group (lease table; lowest ${lowest})`,
    value: peak,
    unit: 'leases',
    goal: `= ${MAX_CONCURRENT}, never more`,
  });
  const afterUp = requests - requestsAtUp;
  report({
    bench: 'fleet',
    metric: `storm lease requests (${rows.length} leases, ${afterUp} asked after dep back)`,
    value: requests,
    unit: 'req',
  });
  report({
    bench: 'fleet',
    metric: 'storm lease answer p50 (all requests)',
    value: pct(leaseMs, 50),
    unit: 'ms',
  });
  report({
    bench: 'fleet',
    metric: 'storm lease answer p99 (all requests)',
    value: pct(leaseMs, 99),
    unit: 'ms',
  });
}

/** The budget section: `secrets` are the nodes' agent tokens (already in the hub's table). */
export async function budgetSection(
  hubUrl: string,
  secrets: string[],
  pool: pg.Pool,
  spawnHub: (env: Record<string, string>) => Promise<{ child: ChildProcess; url: string }>,
): Promise<void> {
  if (process.env.MEDIC_BENCH_BUDGET_ONLY === 'storm') return storm(hubUrl, secrets, pool);
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
  await storm(hubUrl, secrets, pool);
}
