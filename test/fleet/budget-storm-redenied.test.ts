/**
 * A notified re-ask denied again, with real agents (issue 16): a real hub on a fresh PostgreSQL
 * and 3 real `medic serve` processes (process backend) × 2 Python services in one budget group
 * (maxConcurrent 2, onHubUnreachable wait). A ghost node (the test, over HTTP with its own agent
 * token) holds both slots; the services' dependency (a flag file) goes down, all 6 crash and wait.
 *
 * Forcing the path i50's storm never took (every re-ask after a notification was granted): the
 * test holds the group's row lock, queues an operator lease request of the ghost behind it, and
 * then ends one ghost lease. The hub tells the oldest waiter W that a slot is free; W's re-ask
 * queues behind the operator's in PostgreSQL; the lock goes, the operator's restart takes the slot
 * (operators never wait) and W is **denied again in the same wait**. Then the ghost's leases end.
 *
 * Asserted: W got its second denial (its agent's `medic_restart_refusals` and the refusals its
 * audit carries) yet wrote one `skip_fleet_budget` in that wait; W watched for its slot again (it
 * restarts within seconds of the ghost leaving, not at the 30 s safety net); never more than
 * maxConcurrent leases in flight (the hub's table, the ghost's included) nor restarts (the
 * agents' audit); every service recovered under a lease; one skip per wait episode everywhere.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetClient } from '../../src/agent/budget-client.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { NOTIFIED_RECHECK_MS } from '../../src/core/decide/budget.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { leaseTtlSec } from '../../src/serve/budget.js';
import { tempDir } from '../watchdog/helpers.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { flagService, processesMarked, untilAgents } from './agents-kit.js';
import { peakOverlap, restartIntervals } from './budget-fleet.js';
import { freshDatabase, skipPg } from './pg.js';
import { leaseIntervals, skipsPerWaitEpisode } from './storm-count.js';

const MAX = 2;
const NODES = 3;
const SERVICES = ['api', 'worker'];
const GROUP = 'redenied';
const POLICY = {
  ...FLEET_POLICY,
  startupGraceSec: 5, // above the budget's timeoutMs (validated)
  windowSec: 3600,
  budget: {
    group: GROUP,
    maxConcurrent: MAX,
    maxPerWindow: 1000,
    windowSec: 300,
    onHubUnreachable: 'wait',
    timeoutMs: 3000,
  },
};
const LIMITS = {
  maxConcurrent: MAX,
  maxPerWindow: 1000,
  windowSec: 300,
  leaseTtlSec: leaseTtlSec({ ...FLEET_POLICY, startupGraceSec: 5 } as never),
};

const agents: AgentProcess[] = [];

const until = <T>(cond: () => Promise<T | null | undefined | false>, ms: number, what: string) =>
  untilAgents(agents, cond, ms, what, 50);

describe.skipIf(skipPg)('a notified re-ask denied again, with real medic serve agents', () => {
  let hub: RunningHub;
  let ghost: BudgetClient;
  const dir = tempDir('storm-redenied');
  const flag = join(dir, 'dependency-up');
  const mark = `redenied-${Date.now()}`;
  const script = flagService(dir);
  const pythons = () => processesMarked(mark);
  const nodes = Array.from({ length: NODES }, (_, i) => `redenied-${i}`);

  beforeAll(async () => {
    hub = await startHub({
      // The locked way: this test slows an arbitration by holding its group's row lock, which
      // only the locked way waits for before it reads (the optimistic way reads, then waits to
      // write). What it checks does not depend on the way.
      env: loadEnv({
        MEDIC_HUB_DATABASE_URL: await freshDatabase(),
        MEDIC_PORT: '0',
        MEDIC_HUB_BUDGET_OPTIMISTIC: '0',
      }),
      logger: createLogger('silent'),
    });
    ghost = new BudgetClient({
      hubUrl: hub.url,
      token: await createAgentToken(hub.database.db, 'ghost', 'ghost', 0),
      clock: systemClock,
    });
    writeFileSync(flag, 'up');
    for (const node of nodes) {
      const [first, ...more] = SERVICES.map((name) => ({
        name,
        python: '',
        command: ['python', script, flag, mark],
        policy: POLICY,
      }));
      agents.push(
        startAgent({
          hubUrl: hub.url,
          token: await createAgentToken(hub.database.db, node, node, 0),
          node,
          service: first!,
          more,
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    const left = await until(async () => pythons().length === 0 || null, 10_000, 'no Python left').catch(() =>
      pythons(),
    );
    await hub?.close();
    for (const d of [dir, ...agents.map((a) => dirname(a.db))]) rmSync(d, { recursive: true, force: true });
    expect(left === true ? [] : left).toEqual([]);
  });

  const q = async <T>(text: string, values: unknown[] = []) =>
    (await hub.database.pool.query(text, values)).rows as T[];
  async function audit(): Promise<Map<string, AuditEvent[]>> {
    const rows = await q<{ node: string; event: AuditEvent }>(
      'SELECT node, event FROM fleet_events WHERE node = ANY($1) AND service IS NOT NULL ORDER BY node, event_id',
      [nodes],
    );
    const out = new Map<string, AuditEvent[]>();
    for (const r of rows) {
      const key = `${r.node}/${r.event.service}`;
      out.set(key, [...(out.get(key) ?? []), r.event]);
    }
    return out;
  }
  const healthyAtHub = async () =>
    Number(
      (
        await q<{ n: string }>(
          "SELECT count(*) AS n FROM fleet_services WHERE node = ANY($1) AND state = 'healthy'",
          [nodes],
        )
      )[0]!.n,
    );
  const lockWaits = async () =>
    Number(
      (
        await q<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
      )[0]!.n,
    );
  /** An agent's `medic_restart_refusals{service, reason=skip_fleet_budget}` (every denial, repeats included). */
  async function refusals(node: string, service: string): Promise<number> {
    const agent = agents[nodes.indexOf(node)]!;
    const url = /medic serving on (http:\/\/[0-9.:]+)/.exec(agent.child.output())![1]!;
    const text = await (await fetch(`${url}/metrics`)).text();
    const re = new RegExp(
      `^medic_restart_refusals\\{service="${service}",reason="skip_fleet_budget"\\} (\\d+)`,
      'm',
    );
    return Number(re.exec(text)?.[1] ?? 0);
  }
  const ask = (id: string, operator = false) =>
    ghost.request(GROUP, LIMITS, { id, service: id.split('/')[1]!, operator }, 5000);

  it('the oldest waiter is told, denied again (an operator took the slot), writes one skip, watches again and recovers', async () => {
    const all = NODES * SERVICES.length;
    await until(async () => (await healthyAtHub()) === all, 90_000, `all ${all} services healthy at the hub`);
    // The ghost holds both slots.
    for (const id of ['ghost/g1/1', 'ghost/g2/1']) expect((await ask(id)).type).toBe('budget_granted');
    const t0 = Date.now();
    rmSync(flag); // every service exits within 20 ms and asks for a lease: all denied
    const waiters = await until(
      async () => {
        const rows = await q<{ node: string; service: string; since: string }>(
          'SELECT node, service, since FROM budget_waiters WHERE "group" = $1',
          [GROUP],
        );
        return rows.length === all && rows;
      },
      30_000,
      'all six services waiting at the hub',
    );
    writeFileSync(flag, 'up'); // a restart from now on stays up
    // The arbiter's order (src/fleet/budget.ts nextInLine): oldest first, then by node/service.
    const key = (w: { node: string; service: string }) => `${w.node}/${w.service}`;
    const [w] = [...waiters].sort((a, b) => Number(a.since) - Number(b.since) || (key(a) < key(b) ? -1 : 1));
    const before = await refusals(w!.node, w!.service);
    expect(before).toBe(1);
    // Every service's node waits for its slot (the hub holds one wait per node).
    await until(
      async () => {
        const m = await hub.metrics.registry.getSingleMetric('medic_budget_slot_waits')!.get();
        return (m.values[0]?.value ?? 0) === NODES;
      },
      10_000,
      'one slot wait per node at the hub',
    );

    // Hold the group's row: the operator's request queues first, then W's notified re-ask.
    const c: pg.PoolClient = await hub.database.pool.connect();
    await c.query('BEGIN');
    await c.query('SELECT 1 FROM budget_groups WHERE name = $1 FOR UPDATE', [GROUP]);
    const operator = ask('ghost/op/1', true);
    await until(async () => (await lockWaits()) >= 1, 10_000, "the operator's request waiting for the lock");
    expect(await ghost.finish('ghost/g1/1', 5000)).toBe(true); // a slot frees: W is told
    await until(async () => (await lockWaits()) >= 2, 10_000, "W's notified re-ask waiting for the lock");
    await c.query('COMMIT');
    c.release();
    expect((await operator).type).toBe('budget_granted');
    // W's re-ask is denied: the operator's lease took the slot.
    await until(async () => (await refusals(w!.node, w!.service)) >= 2, 10_000, 'W denied a second time');
    const redeniedAt = Date.now();
    expect(redeniedAt - t0).toBeLessThan(NOTIFIED_RECHECK_MS); // not the safety net's re-ask

    // The ghost leaves: W is told again (it watches again) and everyone recovers under leases.
    await new Promise((r) => setTimeout(r, 500));
    const freedAt = Date.now();
    expect(await ghost.finish('ghost/g2/1', 5000)).toBe(true);
    expect(await ghost.finish('ghost/op/1', 5000)).toBe(true);
    const wLease = await until(
      async () =>
        (
          await q<{ granted_at: string }>(
            'SELECT granted_at FROM budget_leases WHERE node = $1 AND service = $2 AND granted_at > $3',
            [w!.node, w!.service, t0],
          )
        )[0],
      NOTIFIED_RECHECK_MS,
      "W's lease",
    );
    const wWaitedMs = Number(wLease.granted_at) - freedAt;
    expect(wWaitedMs).toBeLessThan(10_000); // told, not the 30 s safety net
    const recovered = (events: AuditEvent[] | undefined) =>
      !!events?.some((e) => e.at > t0 && e.decision !== null && e.stateTo === 'healthy');
    await until(
      async () => {
        const a = await audit();
        return (
          nodes.every((n) => SERVICES.every((s) => recovered(a.get(`${n}/${s}`)))) &&
          (await healthyAtHub()) === all
        );
      },
      60_000,
      'every service recovered',
    );
    const leases = await until(
      async () => {
        const rows = await q<{
          id: string;
          node: string;
          service: string;
          granted_at: string;
          ended_at: string | null;
        }>('SELECT id, node, service, granted_at, ended_at FROM budget_leases');
        return rows.every((r) => r.ended_at !== null) && rows;
      },
      30_000,
      'every lease ended',
    );
    const a = await audit();
    const now = Date.now();

    // Never more than maxConcurrent in flight: the hub's table (the ghost's and operator's too)
    // and the agents' own restarts and held leases.
    const hubPeak = peakOverlap(leases.map((l) => ({ from: Number(l.granted_at), to: Number(l.ended_at) })));
    expect(hubPeak).toBeLessThanOrEqual(MAX);
    expect(peakOverlap([...a.values()].flatMap((ev) => restartIntervals(ev, now)))).toBeLessThanOrEqual(MAX);
    expect(peakOverlap([...a.values()].flatMap((ev) => leaseIntervals(ev, now)))).toBeLessThanOrEqual(MAX);
    // Every automatic restart after the crash held a lease; every service got one.
    const storm = [...a.values()].flat().filter((e) => e.at > t0);
    expect(storm.filter((e) => e.decision === 'restart' && e.input?.type !== 'budget_granted')).toEqual([]);
    for (const n of nodes)
      for (const s of SERVICES)
        expect(
          leases.some((l) => l.node === n && l.service === s),
          `${n}/${s}`,
        ).toBe(true);
    // One skip per wait episode everywhere; W's first episode after the crash had two refusals.
    const episodes = [...a.entries()].flatMap(([k, ev]) =>
      skipsPerWaitEpisode(ev.filter((e) => e.at > t0)).map((ep) => ({ ...ep, k })),
    );
    expect(episodes.filter((ep) => ep.skips > 1)).toEqual([]);
    const wEpisode = episodes.find((ep) => ep.k === key(w!))!;
    expect(wEpisode).toMatchObject({ skips: 1 });
    expect(wEpisode.refusals).toBeGreaterThanOrEqual(2);
    console.log(
      `redenied: ${NODES} nodes × ${SERVICES.length} services, maxConcurrent ${MAX}: W = ${key(w!)} denied again ` +
        `${redeniedAt - t0} ms after the crash (refusals in its wait ${wEpisode.refusals}, skips written 1); told again and granted ` +
        `${wWaitedMs} ms after the ghost left; ${leases.length} leases, hub peak ${hubPeak}`,
    );
  }, 240_000);
});
