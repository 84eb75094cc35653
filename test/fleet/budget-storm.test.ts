/**
 * The fleet restart budget under a storm (issue 16), real hub, real PostgreSQL, real HTTP:
 * 30 agents (real engines and decide(), the real hub client; simulated services) whose services
 * all crash within 100 ms while their shared dependency is down.
 * - at no moment more than maxConcurrent restarts in flight, counted from the hub's lease table
 *   and from the agents' own audit logs; the limit is reached (the budget is used, not idle);
 * - every service recovers once the dependency is back; none starves;
 * - the hub killed mid-storm: `local` groups go on under their local limits, `wait` groups
 *   restart nothing automatically; both converge when the hub returns;
 * - nodes of several services: one slot notification per node held at the hub (its
 *   `medic_budget_slot_waits`), never more than maxConcurrent in flight, every service recovered.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type Policy, policySchema } from '../../src/core/policy.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import {
  type Dependency,
  peakOverlap,
  restartIntervals,
  type SimAgent,
  startSimAgent,
  until,
} from './budget-fleet.js';
import { freshDatabase, skipPg } from './pg.js';

const MAX = 3;

function budgetPolicy(group: string, onHubUnreachable: 'local' | 'wait'): Policy {
  return policySchema.parse({
    failureThreshold: 1,
    startupGraceSec: 5,
    cooldownSec: 1,
    backoff: { initialSec: 1, factor: 1, maxSec: 1 },
    maxRestarts: 50,
    windowSec: 3600,
    budget: {
      group,
      maxConcurrent: MAX,
      maxPerWindow: 1000,
      windowSec: 300,
      onHubUnreachable,
      timeoutMs: 3000,
    },
  });
}

describe.skipIf(skipPg)('a restart storm under the fleet budget', () => {
  let dbUrl = '';
  let hub: RunningHub | null = null;
  let port = 0;
  const agents: SimAgent[] = [];
  const answers = new Map<string, number>();

  const start = async () => {
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: dbUrl, MEDIC_PORT: String(port) }),
      logger: createLogger(process.env.STORM_LOG ? 'debug' : 'silent'),
    });
    port = Number(new URL(hub.url).port);
  };

  beforeAll(async () => {
    dbUrl = await freshDatabase();
    await start();
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
  });
  afterAll(async () => {
    await hub?.close();
  });

  async function fleet(
    n: number,
    policyOf: (i: number) => Policy,
    dep: Dependency,
    prefix: string,
    services?: string[],
  ) {
    for (let i = 0; i < n; i++) {
      const node = `${prefix}-${i}`;
      const token = await createAgentToken(hub!.database.db, node, node, 0);
      agents.push(
        await startSimAgent({
          hubUrl: hub!.url,
          token,
          node,
          policy: policyOf(i),
          dep,
          restartMs: 150,
          answers,
          ...(services ? { services } : {}),
        }),
      );
    }
  }

  /** Every service crashes within 100 ms. */
  async function crashAll(list: SimAgent[]) {
    await Promise.all(
      list.map(
        (a) =>
          new Promise<void>((resolve) =>
            setTimeout(
              () =>
                a.engine
                  .submit('api', { type: 'exited', code: 1 }, { source: 'process' })
                  .then(() => resolve()),
              Math.random() * 100,
            ),
          ),
      ),
    );
  }

  const healthy = (list: SimAgent[]) => list.every((a) => a.engine.state('api')?.tag === 'healthy');

  async function hubLeaseIntervals(group: string) {
    const { rows } = await hub!.database.pool.query(
      'SELECT granted_at, COALESCE(ended_at, expires_at) AS until FROM budget_leases WHERE "group" = $1 AND NOT operator',
      [group],
    );
    return rows.map((r: { granted_at: string; until: string }) => ({
      from: Number(r.granted_at),
      to: Number(r.until),
    }));
  }

  it('30 agents: never more than maxConcurrent in flight (hub and agents agree), every service recovered, none starved', async () => {
    const dep: Dependency = { up: false };
    // onHubUnreachable: wait, so a slow answer under load delays a restart instead of bypassing the hub.
    await fleet(30, () => budgetPolicy('shop', 'wait'), dep, 'storm');
    const t0 = Date.now();
    await crashAll(agents);
    // The dependency stays down for 2 s: the first leased restarts fail and go round again.
    await new Promise((r) => setTimeout(r, 2000));
    dep.up = true;
    await until(() => healthy(agents), 90_000, 'every service healthy');
    const recoveredAfterMs = Date.now() - t0;

    const hubPeak = peakOverlap(await hubLeaseIntervals('shop'));
    const now = Date.now();
    const agentIntervals = agents.flatMap((a) => restartIntervals(a.events(), now));
    const agentPeak = peakOverlap(agentIntervals);
    const unleased = agents.flatMap((a) =>
      a
        .events()
        .filter((e) => e.decision === 'restart' && e.input?.type !== 'budget_granted')
        .map((e) => `${a.node}: ${e.input?.type} ${e.reason}`),
    );
    expect(unleased).toEqual([]);
    expect(hubPeak).toBeLessThanOrEqual(MAX);
    expect(agentPeak).toBeLessThanOrEqual(MAX);
    // The budget was used up to its limit, not left idle.
    expect(hubPeak).toBe(MAX);
    // Every restart was a leased one (the hub was up throughout): the agents' audit says so.
    expect(agentIntervals.every((i) => i.lease)).toBe(true);
    // None starved: every service restarted at least once after the dependency came back.
    for (const a of agents) {
      const last = a
        .events()
        .filter((e) => e.decision === 'restart')
        .at(-1);
      expect(last, a.node).toBeDefined();
    }
    // Each wait wrote skip_fleet_budget at most once (speak once): at most one per wait episode.
    for (const a of agents) {
      const ev = a.events();
      const waits = ev.filter(
        (e) => e.decision === 'budget_requested' && e.stateFrom !== 'budget_wait',
      ).length;
      const denied = ev.filter((e) => e.decision === 'skip_fleet_budget').length;
      expect(denied, a.node).toBeLessThanOrEqual(waits);
    }
    console.log(
      `storm: 30 services, maxConcurrent ${MAX}: recovered after ${recoveredAfterMs} ms, peak in flight hub ${hubPeak} / agents ${agentPeak}; answers ${JSON.stringify(Object.fromEntries(answers))}`,
    );
  }, 120_000);

  it('hub killed mid-storm: local groups go on under local limits, wait groups wait; both converge when it returns', async () => {
    const dep: Dependency = { up: true };
    await fleet(
      20,
      (i) => (i % 2 === 0 ? budgetPolicy('local-g', 'local') : budgetPolicy('wait-g', 'wait')),
      dep,
      'kill',
    );
    const local = agents.filter((_, i) => i % 2 === 0);
    const wait = agents.filter((_, i) => i % 2 === 1);
    await hub!.close();
    hub = null;
    const killedAt = Date.now();
    await crashAll(agents);
    // Local groups: restarted without a lease (local limits only) and healthy while the hub is down.
    await until(() => healthy(local), 30_000, 'the local group healthy without the hub');
    // Wait groups: nothing restarted automatically while the hub is away.
    await new Promise((r) => setTimeout(r, 1500));
    for (const a of wait) {
      expect(a.engine.state('api')?.tag, a.node).toBe('budget_wait');
      expect(a.events().some((e) => e.decision === 'restart' && e.at >= killedAt)).toBe(false);
      expect(a.events().filter((e) => e.decision === 'skip_fleet_budget')).toHaveLength(1);
    }
    for (const a of local) {
      const restarts = a.events().filter((e) => e.decision === 'restart' && e.at >= killedAt);
      expect(restarts.length, a.node).toBeGreaterThan(0);
      expect(restarts.every((e) => e.input?.type === 'budget_unreachable')).toBe(true);
    }
    await start();
    // The wait group asks again (every 10 s while unreachable) and restarts under the budget.
    await until(() => healthy(wait), 60_000, 'the wait group healthy after the hub returned');
    expect(peakOverlap(await hubLeaseIntervals('wait-g'))).toBeLessThanOrEqual(MAX);
    for (const a of wait) {
      const restart = a
        .events()
        .filter((e) => e.decision === 'restart')
        .at(-1);
      expect(restart?.input?.type, a.node).toBe('budget_granted');
    }
  }, 120_000);

  it('6 nodes × 5 services: one slot wait per node at the hub, never more than maxConcurrent, all recovered', async () => {
    const dep: Dependency = { up: false };
    const names = ['a', 'b', 'c', 'd', 'e'];
    await fleet(6, () => budgetPolicy('multi', 'wait'), dep, 'multi', names);
    const t0 = Date.now();
    await Promise.all(
      agents.flatMap((a) =>
        names.map(
          (name) =>
            new Promise<void>((resolve) =>
              setTimeout(
                () =>
                  a.engine
                    .submit(name, { type: 'exited', code: 1 }, { source: 'process' })
                    .then(() => resolve()),
                Math.random() * 100,
              ),
            ),
        ),
      ),
    );
    const gauge = hub!.metrics.registry.getSingleMetric('medic_budget_slot_waits')!;
    let peakWaits = 0;
    const sample = setInterval(() => {
      void gauge.get().then((m) => {
        peakWaits = Math.max(peakWaits, m.values[0]?.value ?? 0);
      });
    }, 20);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      dep.up = true;
      const all = () => agents.every((a) => names.every((n) => a.engine.state(n)?.tag === 'healthy'));
      await until(all, 90_000, 'every service of every node healthy');
    } finally {
      clearInterval(sample);
    }
    const hubPeak = peakOverlap(await hubLeaseIntervals('multi'));
    expect(hubPeak).toBeLessThanOrEqual(MAX);
    expect(hubPeak).toBe(MAX);
    // 30 services waited, in 6 nodes: the hub held at most one wait per node (and did hold some).
    expect(peakWaits).toBeGreaterThan(0);
    expect(peakWaits).toBeLessThanOrEqual(6);
    console.log(
      `storm: 6 nodes × 5 services, maxConcurrent ${MAX}: recovered after ${Date.now() - t0} ms, peak in flight ${hubPeak}, peak slot waits held at the hub ${peakWaits}`,
    );
  }, 120_000);
});
