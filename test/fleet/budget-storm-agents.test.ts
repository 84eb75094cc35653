/**
 * A restart storm of real agents (issue 16): a real hub on a fresh PostgreSQL and 5 real
 * `medic serve` processes (process backend, each its own SQLite store and agent token), each
 * running 3 Python services of one budget group (maxConcurrent 2, onHubUnreachable wait). The
 * services share a dependency, a flag file: while it is missing a service exits at once (it
 * polls the flag every 20 ms, so all 15 crash within moments of its removal), once it is back a
 * restarted service stays up. The dependency comes back once the storm has taken a few rounds
 * of leases.
 *
 * Counted twice, independently: from the hub's `budget_leases` rows (grant until end or lapse)
 * and from the agents' own audit logs as shipped to the hub (`fleet_events`: each lease from the
 * restart decision that took it until the event that finished it, storm-count.ts — whose
 * counting sees a deliberately broken fleet as broken, storm-count.test.ts). Asserted: never
 * more than maxConcurrent at once in either count, and the limit was reached (there was a
 * storm); each agent-held lease inside its hub row; every automatic restart held a lease; every
 * service recovered and got a lease (none starved); at most one `skip_fleet_budget` per wait
 * episode per service, however often it asked again. The agents' process groups are killed at
 * the end and no Python service of the test is left running.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../watchdog/helpers.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { flagService, processesMarked, untilAgents } from './agents-kit.js';
import { peakOverlap, restartIntervals } from './budget-fleet.js';
import { freshDatabase, skipPg } from './pg.js';
import { leaseIntervals, skipsPerWaitEpisode } from './storm-count.js';

const MAX = 2;
const NODES = 5;
const SERVICES = ['api', 'worker', 'cron'];
const POLICY = {
  ...FLEET_POLICY,
  // Above the budget's timeoutMs (validated): judging a restart takes longer than asking the hub.
  startupGraceSec: 5,
  windowSec: 3600, // the local window: the circuit must be able to open (validated)
  budget: {
    group: 'storm-agents',
    maxConcurrent: MAX,
    maxPerWindow: 1000,
    windowSec: 300,
    onHubUnreachable: 'wait',
    timeoutMs: 3000,
  },
};

const agents: AgentProcess[] = [];

const until = <T>(cond: () => Promise<T | null | undefined | false>, ms: number, what: string) =>
  untilAgents(agents, cond, ms, what, 100);

describe.skipIf(skipPg)('a restart storm of real medic serve agents under the fleet budget', () => {
  let hub: RunningHub;
  const dir = tempDir('storm-agents');
  const flag = join(dir, 'dependency-up');
  // In every service's command line: how the test finds its Python processes afterwards.
  const mark = `storm-${Date.now()}`;
  // The service: a Python script (the process backend runs the contract's conda `python`).
  const script = flagService(dir);
  const pythons = () => processesMarked(mark);

  beforeAll(async () => {
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    writeFileSync(flag, 'up');
    for (let i = 0; i < NODES; i++) {
      const node = `storm-${i}`;
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
    for (const a of agents) a.child.kill('SIGKILL'); // the whole process group: medic and its Pythons
    const left = await until(async () => pythons().length === 0 || null, 10_000, 'no Python left').catch(() =>
      pythons(),
    );
    await hub?.close();
    for (const d of [dir, ...agents.map((a) => dirname(a.db))]) rmSync(d, { recursive: true, force: true });
    expect(left === true ? [] : left).toEqual([]);
  });

  const q = <T>(text: string, values: unknown[] = []) =>
    hub.database.pool.query(text, values).then((r) => r.rows as T[]);
  const nodes = Array.from({ length: NODES }, (_, i) => `storm-${i}`);
  /** Each service's shipped audit events, in order, keyed `node/service`. */
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

  it('5 agents × 3 services crash at once: never more than maxConcurrent restarts in flight (hub and agents), every service recovered, none starved, one skip per wait', async () => {
    const all = NODES * SERVICES.length;
    await until(
      async () => (await healthyAtHub()) === all,
      90_000,
      `all ${all} services healthy at the hub`,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agents[0]!.child.output().slice(-2000)}`);
    });
    const t0 = Date.now();
    rmSync(flag); // the dependency goes down: every service exits within its next poll
    // The storm runs until as many leased restarts have failed as there are services.
    await until(
      async () =>
        Number(
          (await q<{ n: string }>('SELECT count(*) AS n FROM budget_leases WHERE ended_at IS NOT NULL'))[0]!
            .n,
        ) >= all,
      60_000,
      'as many failed leased restarts as services during the storm',
    );
    writeFileSync(flag, 'up');
    const upAt = Date.now();

    // Recovered: every service healthy again after its crash (its own audit says so, as shipped).
    const recovered = (events: AuditEvent[] | undefined) =>
      !!events?.some((e) => e.at > t0 && e.decision !== null && e.stateTo === 'healthy');
    await until(
      async () => {
        const a = await audit();
        const keys = nodes.flatMap((n) => SERVICES.map((s) => `${n}/${s}`));
        return keys.every((k) => recovered(a.get(k))) && (await healthyAtHub()) === all;
      },
      60_000,
      'every service recovered',
    );
    const recoveredAfterMs = Date.now() - upAt;
    // Every lease the hub granted has ended and its agent's finish has been shipped.
    const leases = await until(
      async () => {
        const rows = await q<{
          id: string;
          node: string;
          service: string;
          granted_at: string;
          ended_at: string | null;
          operator: boolean;
        }>('SELECT id, node, service, granted_at, ended_at, operator FROM budget_leases');
        if (rows.some((r) => r.ended_at === null)) return null;
        const a = await audit();
        const finished = new Set(
          [...a.values()]
            .flat()
            .flatMap((e) => e.effects.flatMap((f) => (f.type === 'finish_budget' ? [f.leaseId] : []))),
        );
        return rows.every((r) => finished.has(r.id)) ? rows : null;
      },
      60_000,
      'every lease ended at the hub and finished in the shipped audit',
    );
    const a = await audit();
    const now = Date.now();

    // The hub's count.
    expect(leases.every((l) => !l.operator)).toBe(true);
    const hubSpans = leases.map((l) => ({ from: Number(l.granted_at), to: Number(l.ended_at) }));
    const hubPeak = peakOverlap(hubSpans);
    // The agents' count: per lease as each agent held it, and per restart (decision until the
    // state left restarting).
    const held = [...a.values()].flatMap((events) => leaseIntervals(events, now));
    const agentLeasePeak = peakOverlap(held);
    const restartPeak = peakOverlap([...a.values()].flatMap((events) => restartIntervals(events, now)));
    expect(hubPeak).toBeLessThanOrEqual(MAX);
    expect(agentLeasePeak).toBeLessThanOrEqual(MAX);
    expect(restartPeak).toBeLessThanOrEqual(MAX);
    expect(hubPeak).toBe(MAX); // a storm: the limit was reached, not left idle
    // The two counts are of the same leases: each as its agent held it lies inside its hub row.
    const rows = new Map(leases.map((l) => [l.id, l]));
    for (const h of held) {
      const row = rows.get(h.lease);
      expect(row, h.lease).toBeDefined();
      expect(h.finished, h.lease).toBe(true);
      expect(h.from, h.lease).toBeGreaterThanOrEqual(Number(row!.granted_at));
      expect(h.to, h.lease).toBeLessThanOrEqual(Number(row!.ended_at));
    }
    // Every automatic restart of the storm held a lease (the hub was up throughout).
    const storm = [...a.values()].flat().filter((e) => e.at > t0);
    const unleased = storm.filter((e) => e.decision === 'restart' && e.input?.type !== 'budget_granted');
    expect(unleased.map((e) => `${e.service}: ${e.input?.type}`)).toEqual([]);
    // None starved: every service got a lease and restarted under it.
    for (const n of nodes) {
      for (const s of SERVICES) {
        expect(
          leases.some((l) => l.node === n && l.service === s),
          `${n}/${s} got a lease`,
        ).toBe(true);
        expect(
          held.some((h) => h.lease.startsWith(`${n}/${s}/`)),
          `${n}/${s} restarted under a lease`,
        ).toBe(true);
      }
    }
    // Speak once: at most one skip_fleet_budget per wait episode per service, however often it asked.
    const episodes = [...a.entries()].flatMap(([key, events]) =>
      skipsPerWaitEpisode(events).map((ep) => ({ ...ep, key })),
    );
    expect(episodes.filter((ep) => ep.skips > 1)).toEqual([]);
    const denied = episodes.filter((ep) => ep.skips === 1);
    expect(denied.length).toBeGreaterThan(0); // services did wait for the budget
    // Every denial an agent got, repeats included, from its own API (/metrics): a skip was
    // written for at most as many, one per episode.
    let denials = 0;
    for (const [node, agent] of agents.entries()) {
      const url = /medic serving on (http:\/\/[0-9.:]+)/.exec(agent.child.output())![1]!;
      const text = await (await fetch(`${url}/metrics`)).text();
      const count = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      denials += count(/^medic_budget_denied_total\{group="storm-agents"\} (\d+)/m);
      for (const svc of SERVICES) {
        const refusals = count(
          new RegExp(`^medic_restart_refusals\\{service="${svc}",reason="skip_fleet_budget"\\} (\\d+)`, 'm'),
        );
        const written = (a.get(`storm-${node}/${svc}`) ?? []).filter(
          (e) => e.decision === 'skip_fleet_budget',
        );
        expect(refusals, `storm-${node}/${svc}`).toBeGreaterThanOrEqual(written.length);
      }
    }
    expect(denials).toBeGreaterThanOrEqual(denied.length);
    const firstCrash = [...a.values()].map(
      (events) => events.find((e) => e.at > t0 && e.input?.type === 'exited')!.at,
    );
    console.log(
      `storm of real agents: ${NODES} nodes × ${SERVICES.length} services, maxConcurrent ${MAX}: ` +
        `all crashed within ${Math.max(...firstCrash) - Math.min(...firstCrash)} ms of each other (agents' clocks of the exits); ${leases.length} leases; ` +
        `peak in flight hub ${hubPeak} / agents' leases ${agentLeasePeak} / agents' restarts ${restartPeak}; ` +
        `${episodes.length} wait episodes, ${denied.length} of them denied: ${denied.length} skip_fleet_budget written for ${denials} denials the agents got; ` +
        `recovered ${recoveredAfterMs} ms after the dependency returned`,
    );
  }, 240_000);
});
