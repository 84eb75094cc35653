/**
 * The fleet restart budget's views (issue 16), real hub on a real PostgreSQL, a real `medic serve`
 * agent (process backend) shipping to it: while a lease held elsewhere fills the group, the
 * agent's crashed service waits, and
 * - `budgetGroups` at the hub shows the whole group now (in flight, used, limits, the waiting
 *   service with its node); on the agent the same type shows its own group with the numbers of
 *   the hub's last answer and its own waiting service;
 * - `medic budget` gives the same table against either (MEDIC_URL), exit 1 while a service
 *   waits, 0 once nothing does, 2 for an unknown group;
 * - the hub's /metrics has `medic_budget_in_flight{group}`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { finishLease, requestLease } from '../../src/hub/budget.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, startAgent } from './agent-process.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const MARK = `budget-views-${process.pid}`;
const policy = {
  failureThreshold: 1,
  startupGraceSec: 5,
  cooldownSec: 1,
  maxRestarts: 100,
  windowSec: 600,
  backoff: { initialSec: 1, factor: 1, maxSec: 1 },
  budget: {
    group: 'views',
    maxConcurrent: 1,
    maxPerWindow: 100,
    windowSec: 300,
    onHubUnreachable: 'wait',
    timeoutMs: 2000,
  },
};

const medic = (args: string[], env: Record<string, string>) => runMedic(args, { env });

/** The pid of the agent's Python service (its command line carries MARK). */
function servicePid(): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(MARK) && cmd.includes('time.sleep')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

const QUERY = `{ budgetGroups { name maxConcurrent maxPerWindow windowSec inFlight usedInWindow waiting heardAt
  waitingServices { node service since position } } }`;

describe.skipIf(skipPg)('the fleet budget groups at the hub and on an agent', () => {
  let hub: RunningHub;
  let agent: AgentProcess;
  let atHub: Record<string, string> = {};
  let atAgent: Record<string, string> = {};

  beforeAll(async () => {
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    const db = hub.database.db;
    atHub = { MEDIC_URL: hub.url, MEDIC_TOKEN: await createHubToken(db, 'grafana', 'viewer', null, 0) };
    agent = startAgent({
      hubUrl: hub.url,
      token: await createHubToken(db, 'agent-a', 'agent', 'node-a', 0),
      node: 'node-a',
      service: { name: 'api', python: `import time; mark = '${MARK}'; time.sleep(3600)`, policy },
    });
    const agentUrl = await waitFor(
      () => /medic serving on (http:\/\/[0-9.:]+)/.exec(agent.child.output())?.[1],
      60_000,
      100,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agent.child.output().slice(-3000)}`);
    });
    await waitFor(servicePid, 30_000, 100);
    const token = await medic(['token', 'create', '--name', 'local', '--role', 'viewer'], {
      MEDIC_DB: agent.db,
    });
    atAgent = { MEDIC_URL: agentUrl, MEDIC_TOKEN: token.out.trimEnd().split('\n').at(-1)! };
  }, 90_000);

  afterAll(async () => {
    if (agent?.child.exitCode === null) agent.child.kill('SIGKILL');
    const pid = servicePid();
    if (pid) process.kill(pid, 'SIGKILL');
    await hub?.close().catch(() => {});
  });

  it('shows the waiting service at the hub and on its agent, in GraphQL, the CLI and the metrics', async () => {
    // Before the hub ever answered for it, the agent knows its group's limits, not its numbers.
    const before = await gql(atAgent.MEDIC_URL!, atAgent.MEDIC_TOKEN!, QUERY);
    expect(before.data?.budgetGroups).toEqual([
      {
        name: 'views',
        maxConcurrent: 1,
        maxPerWindow: 100,
        windowSec: 300,
        inFlight: null,
        usedInWindow: null,
        waiting: null,
        heardAt: null,
        waitingServices: [],
      },
    ]);

    // Another node holds the group's only slot; then the agent's service crashes.
    const limits = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 600 };
    const blocker = await requestLease(
      hub.database.db,
      'views',
      limits,
      { id: 'blocker', node: 'node-z', service: 'db', operator: false },
      systemClock,
    );
    expect(blocker.granted).toBe(true);
    process.kill(servicePid()!, 'SIGKILL');

    type Groups = { budgetGroups: Record<string, unknown>[] };
    const fleet = await waitFor(
      async () => {
        const r = await gql(hub.url, atHub.MEDIC_TOKEN!, QUERY);
        const g = (r.data as Groups | undefined)?.budgetGroups?.[0];
        return g && g.waiting === 1 ? g : null;
      },
      30_000,
      100,
    );
    expect(fleet).toMatchObject({
      name: 'views',
      maxConcurrent: 1,
      inFlight: 1,
      usedInWindow: 1,
      waiting: 1,
      waitingServices: [{ node: 'node-a', service: 'api', position: 1 }],
    });
    const local = ((await gql(atAgent.MEDIC_URL!, atAgent.MEDIC_TOKEN!, QUERY)).data as Groups)
      .budgetGroups[0];
    expect(local).toMatchObject({
      name: 'views',
      maxConcurrent: 1,
      maxPerWindow: 100,
      inFlight: 1,
      waiting: 1,
      waitingServices: [{ node: 'node-a', service: 'api', position: 1 }],
    });
    expect(local!.heardAt).toEqual(expect.stringMatching(/^\d{4}-/));

    for (const env of [atHub, atAgent]) {
      const table = await medic(['budget'], env);
      expect(table.err).toBe('');
      expect(table.code).toBe(1);
      const lines = table.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^GROUP\s+IN FLIGHT\s+USED\s+WAITING\s+AS OF$/);
      expect(lines[1]).toMatch(/^views\s+1\/1\s+1\/100 in 300s\s+1\s+/);
      expect(table.out).toMatch(/#1\s+node-a\s+api\s+since /);
      const json = await medic(['budget', 'views', '--json'], env);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ name: 'views', inFlight: 1 })]);
      const unknown = await medic(['budget', 'nope'], env);
      expect(unknown).toEqual({ code: 2, out: '', err: "medic budget: no fleet budget group 'nope' here\n" });
    }

    const metrics = await (
      await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${atHub.MEDIC_TOKEN}` } })
    ).text();
    expect(metrics).toContain('medic_budget_in_flight{group="views"} 1');

    // The slot frees: the agent gets its lease, restarts, recovers and ends the lease.
    expect(await finishLease(hub.database.db, 'blocker', Date.now())).toBe(true);
    await waitFor(
      async () => {
        const r = await medic(['budget'], atHub);
        return r.code === 0 && /^views\s+0\/1\s+2\/100/m.test(r.out) ? r : null;
      },
      30_000,
      200,
    );
    await waitFor(async () => ((await medic(['budget'], atAgent)).code === 0 ? true : null), 10_000, 200);
    const after = await (
      await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${atHub.MEDIC_TOKEN}` } })
    ).text();
    expect(after).toContain('medic_budget_in_flight{group="views"} 0');
  }, 120_000);
});
