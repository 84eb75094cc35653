/**
 * The storm of the fleet budget bench (issue 16): N nodes × 20 services, every service crashing
 * within 100 ms while their shared dependency is down for 2 s. Each simulated service runs the
 * real decide() (its budget requests, denials, re-asks and finishes are decide()'s effects, its
 * ticks at nextWakeAt) and carries its effects out as `medic serve` does: the lease request with
 * the policy's timeoutMs from the call, an unanswered request asked again with its id (LeaseIds), an
 * unconfirmed finish sent again (FINISH_RETRY), and — unless `notify` is off — the slot
 * notification after a denial or an unanswered request (the policy waits: onHubUnreachable
 * wait), through the node's one wait at the hub (NodeSlotWatch over the agent's own
 * BudgetClient: one connection per node; `free` → budget_slot_free; a failure → ask now,
 * notifications off for NOTIFY_BACKOFF_MS on that node), the answer marked `notified` as the
 * engine marks it.
 * The lease request says how long the service still waits (`Medic-Wait-Ms`: its timeoutMs less
 * the time it waited for a socket of its node's pool) as the agent's BudgetClient does, unless MEDIC_BENCH_BUDGET_WAIT_HEADER=0 (agents of the previous
 * version: the hub then arbitrates every request however late). Reported with it: requests that
 * timed out, requests answered LEASE_REQUEST_EXPIRED, and leases never finished (lapsed at TTL).
 * A restart takes RESTART_MS, then the service is healthy if the dependency is up, else it
 * crashes again. Reported: the time from the dependency's return until every service is
 * healthy against the theoretical minimum (members per group / maxConcurrent × restart time;
 * the groups run side by side), and the peak restarts in flight per group read from the hub's
 * lease table (must equal maxConcurrent, never exceed it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import type pg from 'pg';
import { BudgetClient } from '../src/agent/budget-client.js';
import { LeaseIds } from '../src/agent/lease-ids.js';
import { NodeSlotWatch } from '../src/agent/slot-watch.js';
import { systemClock } from '../src/clock/clock.js';
import { nextWakeAt } from '../src/core/deadline.js';
import { decide } from '../src/core/decide.js';
import type { Policy } from '../src/core/policy.js';
import { initialState } from '../src/core/state.js';
import type { Effect, Input, ServiceState } from '../src/core/types.js';
import { backoffMs } from '../src/escalation/backoff.js';
import { FINISH_PATH, LEASE_PATH, LEASE_REQUEST_EXPIRED, WAIT_HEADER } from '../src/fleet/budget-protocol.js';
import { FINISH_RETRY, NOTIFY_BACKOFF_MS, SLOT_WAIT_MS } from '../src/serve/budget.js';
import {
  limitsOf,
  MAX_CONCURRENT,
  pct,
  poster,
  SERVICES,
  sleep,
  stormPolicy,
} from './fleet-budget-common.js';
import { report } from './report.js';

const RESTART_MS = Number(process.env.MEDIC_BENCH_BUDGET_RESTART_MS ?? 200);
const PROBE_MS = 20;
const OUTAGE_MS = 2000;
const STORM_LIMIT_MS = Number(process.env.MEDIC_BENCH_BUDGET_LIMIT_MS ?? 240_000);
/** Connections per simulated node for its lease requests and finishes. */
const NODE_SOCKETS = Number(process.env.MEDIC_BENCH_BUDGET_NODE_SOCKETS ?? 4);
/** Whether lease requests carry `Medic-Wait-Ms` (as agents of this version do). */
const WAIT_HEADER_ON = process.env.MEDIC_BENCH_BUDGET_WAIT_HEADER !== '0';
/** Nodes in the storm (default: every node of the bench). */
const STORM_NODES = Number(process.env.MEDIC_BENCH_BUDGET_STORM_NODES ?? Number.POSITIVE_INFINITY);

/** One simulated service: its state, driven by decide() only. */
interface Sim {
  node: number;
  service: string;
  policy: Policy;
  state: ServiceState;
  timer: NodeJS.Timeout | null;
  /** Budget messages in decision order (a finish never overtakes the next request). */
  chain: Promise<void>;
  /** A slot wait is held open. */
  watching: boolean;
}

export interface StormResult {
  services: number;
  healthy: number;
  doneMs: number;
  minimumMs: number;
  peak: number;
  lowest: number;
  leases: number;
  requests: number;
  afterUp: number;
  leaseMs: number[];
  /** The hub's auth / queue / tx of each answered lease request (its Server-Timing). */
  hubMs: { auth: number[]; queue: number[]; tx: number[] };
  finishesLost: number;
  /** Lease requests with no answer within their timeout, answered LEASE_REQUEST_EXPIRED, and not arbitrated by the hub's count. */
  unanswered: { timedOut: number; expired: number; atHub: number };
  /** Leases that lapsed at their TTL by the end (never finished): grants whose agent never heard of them. */
  lapsed: number;
  /** Node waits sent (re-opens included), services told, failures, most node waits open at once. */
  waits: { opened: number; free: number; failed: number; peak: number };
}

/** One storm; `notify`: with the slot notification (as `medic serve`), else without (the baseline). */
export async function storm(
  hubUrl: string,
  secrets: string[],
  pool: pg.Pool,
  notify: boolean,
  tag: string,
): Promise<StormResult> {
  // Each node its own keep-alive pool, as each agent has its own connections (a pool of 256
  // shared by 1,000 simulated agents made requests time out queued in this process).
  const posts = Array.from({ length: Math.min(secrets.length, STORM_NODES) }, () =>
    poster(hubUrl, NODE_SOCKETS),
  );
  const dep = { up: false };
  let stopped = false;
  const stopSignal = new AbortController();
  setMaxListeners(0, stopSignal.signal); // every waiting service listens to it
  const leaseMs: number[] = [];
  /** The hub's own stages of the answered lease requests (Server-Timing). */
  const hubMs = { auth: [] as number[], queue: [] as number[], tx: [] as number[] };
  let requests = 0;
  let finishesLost = 0;
  /** Lease requests unanswered within their timeout, and answered LEASE_REQUEST_EXPIRED. */
  const unanswered = { timedOut: 0, expired: 0 };
  const waits = { free: 0, failed: 0 };
  const policies = Array.from({ length: SERVICES }, (_, k) => stormPolicy(`storm-${tag}-${k}`));
  const sims: Sim[] = [];
  const nodes = Math.min(secrets.length, STORM_NODES);
  /** Per node: notifications off until (after one failed), as the agent's port does. */
  const notifyOff = new Array<number>(nodes).fill(0);
  /** Per node: its lease ids and its one slot wait at the hub, as `medic serve` has them. */
  const ids = Array.from({ length: nodes }, (_, i) => new LeaseIds(`n${i}`));
  const slotWatches = Array.from({ length: nodes }, (_, i) => {
    const client = new BudgetClient({ hubUrl, token: secrets[i]!, clock: systemClock });
    return new NodeSlotWatch(
      (list, signal) => client.waitForSlots(list, SLOT_WAIT_MS, policies[0]!.budget!.timeoutMs, signal),
      systemClock,
    );
  });
  for (let i = 0; i < nodes; i++)
    for (let k = 0; k < SERVICES; k++)
      sims.push({
        node: i,
        service: `svc-${k}`,
        policy: policies[k]!,
        state: initialState(),
        timer: null,
        chain: Promise.resolve(),
        watching: false,
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
  /** As serve/budget.ts: an unconfirmed finish is sent again (FINISH_RETRY), timeout from the call. */
  const finish = async (s: Sim, leaseId: string) => {
    for (let attempt = 1; attempt <= FINISH_RETRY.maxAttempts; attempt++) {
      try {
        const res = await posts[s.node]!(
          FINISH_PATH,
          secrets[s.node]!,
          { id: leaseId },
          s.policy.budget!.timeoutMs,
        );
        if (res.status === 200) return;
      } catch {
        // timed out or refused: retried
      }
      if (attempt === FINISH_RETRY.maxAttempts) break;
      await sleep(backoffMs(attempt, FINISH_RETRY, Math.random()));
    }
    finishesLost++;
  };
  /** As the engine's watchSlot: through the node's one wait, again at its bound while the service waits. */
  const watch = (s: Sim, group: string) => {
    if (s.watching) return;
    s.watching = true;
    void (async () => {
      try {
        for (;;) {
          const outcome = await slotWatches[s.node]!.watch(group, s.service, stopSignal.signal);
          if (stopped || s.state.tag !== 'budget_wait') return;
          if (outcome === 'bound') continue;
          if (outcome === 'failed') {
            waits.failed++;
            notifyOff[s.node] = Date.now() + NOTIFY_BACKOFF_MS;
          } else waits.free++;
          apply(s, { type: 'budget_slot_free', ...(outcome === 'failed' ? { lost: true } : {}) });
          return;
        }
      } finally {
        s.watching = false;
      }
    })();
  };
  const effect = (s: Sim, e: Effect) => {
    const secret = secrets[s.node]!;
    if (e.type === 'restart') {
      setTimeout(() => {
        apply(s, { type: 'restart_succeeded' });
        setTimeout(() => apply(s, dep.up ? { type: 'probe_ok' } : { type: 'exited', code: 1 }), PROBE_MS);
      }, RESTART_MS);
    } else if (e.type === 'finish_budget') {
      s.chain = s.chain.then(() => finish(s, e.leaseId));
    } else if (e.type === 'request_budget') {
      s.chain = s.chain.then(async () => {
        const t = performance.now();
        const id = e.operator ? ids[s.node]!.fresh(s.service) : ids[s.node]!.auto(e.group, s.service);
        requests++;
        const body = {
          group: e.group,
          limits: limitsOf(s.policy),
          id,
          service: s.service,
          operator: e.operator,
        };
        let answer: Input;
        try {
          const res = await posts[s.node]!(
            LEASE_PATH,
            secret,
            body,
            s.policy.budget!.timeoutMs,
            WAIT_HEADER_ON ? WAIT_HEADER : undefined,
          );
          leaseMs.push(performance.now() - t);
          for (const stage of ['auth', 'queue', 'tx'] as const)
            if (res.timing[stage] !== undefined) hubMs[stage].push(res.timing[stage]);
          const r = res.body as {
            granted?: boolean;
            lease?: { id: string };
            retryAt?: number;
            retryInMs?: number;
            position?: number;
            numbers?: { inFlight: number; usedInWindow: number; waiting: number };
          } | null;
          if (res.status !== 200 || !r?.numbers) {
            const code = (r as { error?: { code?: string } } | null)?.error?.code;
            if (code === LEASE_REQUEST_EXPIRED) unanswered.expired++;
            answer = { type: 'budget_unreachable', reason: `${res.status}` };
          } else if (r.granted)
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
              ...(notify && Date.now() >= notifyOff[s.node]! ? { notified: true } : {}),
            };
        } catch (err) {
          unanswered.timedOut++;
          answer = { type: 'budget_unreachable', reason: (err as Error).message };
        }
        // As serve/budget.ts: an unanswered request is asked again with its id.
        if (!e.operator && answer.type === 'budget_unreachable')
          ids[s.node]!.unanswered(e.group, s.service, id);
        else if (!e.operator) ids[s.node]!.answered(e.group, s.service);
        // As the engine: an unanswered request of this `wait` policy watches for its slot too.
        if (answer.type === 'budget_unreachable' && notify && !e.operator && Date.now() >= notifyOff[s.node]!)
          answer = { ...answer, notified: true };
        apply(s, answer);
        if (answer.type !== 'budget_granted' && answer.notified) watch(s, e.group);
      });
    }
  };

  // The hub's count of lease requests it did not arbitrate (their agents had given up), read
  // from its /metrics with an operator token put straight into the table (as the bench's tokens).
  const opSecret = `medic_bench_op_${tag}_${randomBytes(16).toString('base64url')}`;
  await pool.query(
    `INSERT INTO agent_tokens (name, role, node, hash, created_at) VALUES ($1, 'operator', NULL, $2, $3)
     ON CONFLICT DO NOTHING`,
    [`bench-storm-${tag}-${Date.now()}`, createHash('sha256').update(opSecret).digest('hex'), Date.now()],
  );
  const hubExpired = async () => {
    const text = await (
      await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${opSecret}` } })
    ).text();
    return Number(/^medic_budget_lease_requests_expired_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  };
  const expiredBefore = await hubExpired();
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
  let peakWaits = 0;
  while (healthyCount() < sims.length && Date.now() - upAt < STORM_LIMIT_MS) {
    peakWaits = Math.max(peakWaits, slotWatches.filter((w) => w.holding()).length);
    await sleep(50);
  }
  const doneMs = Date.now() - upAt;
  const done = healthyCount();
  stopped = true;
  stopSignal.abort();
  for (const s of sims) if (s.timer) clearTimeout(s.timer);
  await Promise.race([Promise.all(sims.map((s) => s.chain)), sleep(10_000)]);

  const minimumMs = Math.ceil(nodes / MAX_CONCURRENT) * (RESTART_MS + PROBE_MS);
  const expiredAtHub = (await hubExpired()) - expiredBefore;
  const { rows } = await pool.query<{ group: string; granted_at: string; until: string; lapsed: boolean }>(
    `SELECT "group", granted_at, COALESCE(ended_at, expires_at) AS until,
            ended_at IS NULL AND expires_at < ${Date.now()} AS lapsed FROM budget_leases
      WHERE "group" LIKE $1 AND NOT operator`,
    [`storm-${tag}-%`],
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
  return {
    services: sims.length,
    healthy: done,
    doneMs,
    minimumMs,
    peak,
    lowest,
    leases: rows.length,
    requests,
    afterUp: requests - requestsAtUp,
    leaseMs,
    hubMs,
    finishesLost,
    unanswered: { ...unanswered, atHub: expiredAtHub },
    lapsed: rows.filter((r) => r.lapsed).length,
    waits: { ...waits, opened: slotWatches.reduce((n, w) => n + w.opened, 0), peak: peakWaits },
  };
}

/** Both storms (without the notification first: the same-run baseline), reported. */
export async function storms(hubUrl: string, secrets: string[], pool: pg.Pool): Promise<void> {
  const load = () => `load ${loadavg()[0]!.toFixed(1)}`;
  const withoutLoad = load();
  const without =
    process.env.MEDIC_BENCH_BUDGET_BASELINE === '0'
      ? null
      : await storm(hubUrl, secrets, pool, false, 'plain');
  const withLoad = load();
  const notified = await storm(hubUrl, secrets, pool, true, 'notify');
  const label = (r: StormResult) => (r.healthy < r.services ? ` (${r.healthy} healthy only)` : '');
  report({
    bench: 'fleet',
    metric: `storm ${notified.services} svc, slot notification: dependency back → all healthy${label(notified)} [${withLoad}]`,
    value: notified.doneMs,
    unit: 'ms',
    baseline: {
      name: `minimum ${notified.minimumMs / (RESTART_MS + PROBE_MS)} rounds × ${RESTART_MS + PROBE_MS} ms`,
      value: notified.minimumMs,
    },
  });
  if (without)
    report({
      bench: 'fleet',
      metric: `storm ${notified.services} svc, slot notification vs without (same run)${label(notified)}`,
      value: notified.doneMs,
      unit: 'ms',
      baseline: { name: `without notification${label(without)} [${withoutLoad}]`, value: without.doneMs },
    });
  for (const [name, r] of [
    ['notification', notified],
    ['without', without],
  ] as const) {
    if (!r) continue;
    report({
      bench: 'fleet',
      metric: `storm (${name}) peak restarts in flight per group (lease table; lowest ${r.lowest})`,
      value: r.peak,
      unit: 'leases',
      goal: `= ${MAX_CONCURRENT}, never more`,
    });
    report({
      bench: 'fleet',
      metric: `storm (${name}) lease requests (${WAIT_HEADER_ON ? 'with' : 'without'} ${WAIT_HEADER}: ${r.unanswered.timedOut} timed out, ${r.unanswered.atHub} not arbitrated by the hub (${r.unanswered.expired} of them heard); ${r.leases} leases, ${r.lapsed} lapsed unfinished; ${r.afterUp} after dep back; finishes lost ${r.finishesLost}; node waits ${r.waits.opened} opened, at most ${r.waits.peak} open at once; ${r.waits.free} told, ${r.waits.failed} failed)`,
      value: r.requests,
      unit: 'req',
    });
    report({
      bench: 'fleet',
      metric: `storm (${name}) lease answer p50`,
      value: pct(r.leaseMs, 50),
      unit: 'ms',
    });
    report({
      bench: 'fleet',
      metric: `storm (${name}) lease answer p99 (at the hub, answered ones, p50/p99 ms: auth ${pct(r.hubMs.auth, 50).toFixed(0)}/${pct(r.hubMs.auth, 99).toFixed(0)}, queue ${pct(r.hubMs.queue, 50).toFixed(0)}/${pct(r.hubMs.queue, 99).toFixed(0)}, tx ${pct(r.hubMs.tx, 50).toFixed(0)}/${pct(r.hubMs.tx, 99).toFixed(0)})`,
      value: pct(r.leaseMs, 99),
      unit: 'ms',
    });
  }
}
