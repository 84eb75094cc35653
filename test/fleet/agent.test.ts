/**
 * A real `medic serve` agent (process backend, a crashing service) shipping to an in-process hub
 * on a real PostgreSQL: its events reach the hub; while the hub is down the agent keeps deciding
 * and, once the hub is back, catches up with no gap and no duplicate (the hub's events equal the
 * agent's SQLite audit log up to the hub's cursor); a node that stops is marked unreachable.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken, createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, hubEventRows, startAgent } from './agent-process.js';
import { freshDatabase, skipPg } from './pg.js';

const policy = FLEET_POLICY;

/** The agent's audit log as (id, kind, service), straight from its SQLite file. */
function agentEvents(db: string): { id: number; kind: string; service: string | null }[] {
  const sqlite = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return sqlite.prepare('SELECT id, kind, service FROM events ORDER BY id').all() as never;
  } finally {
    sqlite.close();
  }
}

describe.skipIf(skipPg)('a real agent shipping to the hub (real PostgreSQL)', () => {
  const hubs: RunningHub[] = [];
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const h of hubs) await h.close().catch(() => {});
  });

  it('ships a crashing service, survives a hub outage without gap or duplicate, then goes silent', async () => {
    const dbUrl = await freshDatabase();
    const hubEnv = (port: string) =>
      loadEnv({ MEDIC_HUB_DATABASE_URL: dbUrl, MEDIC_PORT: port, MEDIC_HUB_SILENCE_SEC: '2' });
    let hub = await startHub({ env: hubEnv('0'), logger: createLogger('silent') });
    hubs.push(hub);
    const port = new URL(hub.url).port;
    const token = await createAgentToken(hub.database.db, 'agent-a', 'node-a', Date.now());
    const viewer = await createHubToken(hub.database.db, 'viewer', 'viewer', null, Date.now());

    const { child: agent, db: agentDb } = startAgent({
      hubUrl: hub.url,
      token: token,
      node: 'node-a',
      service: { name: 'crasher', python: 'import time, sys; time.sleep(0.3); sys.exit(3)', policy },
    });
    children.push(agent);
    const exited = new Promise<void>((r) => agent.once('exit', () => r()));

    const hubRows = (h: RunningHub) => hubEventRows(h.database.pool, 'node-a');

    // 1. The crash and the restart decisions reach the hub, with the service's view.
    await waitFor(
      async () =>
        (await hubRows(hub)).some((e) => e.service === 'crasher' && e.kind !== 'service_registered'),
      30_000,
      100,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
    });
    const view = await hub.database.pool.query(
      'SELECT state FROM fleet_services WHERE node = $1 AND name = $2',
      ['node-a', 'crasher'],
    );
    expect(view.rowCount).toBe(1);

    // 2. The hub goes away; the agent keeps deciding (its log grows) and keeps retrying.
    await hub.close();
    const atOutage = agentEvents(agentDb).at(-1)!.id;
    await waitFor(() => agentEvents(agentDb).at(-1)!.id >= atOutage + 4, 30_000, 100);
    expect(agent.output()).toContain('cannot ship to the hub');

    // 3. The hub comes back on the same port: the agent catches up.
    hub = await startHub({ env: hubEnv(port), logger: createLogger('silent') });
    hubs.push(hub);
    const target = agentEvents(agentDb).at(-1)!.id;
    await waitFor(async () => ((await hubRows(hub)).at(-1)?.id ?? 0) >= target, 30_000, 100);
    const atHub = await hubRows(hub);
    const cursor = atHub.at(-1)!.id;
    const local = agentEvents(agentDb).filter((e) => e.id <= cursor);
    expect(atHub).toEqual(local); // same ids (no gap), each once (no duplicate), same kinds
    // Logged once the agent has the reply, a moment after the hub committed the rows.
    await waitFor(() => agent.output().includes('hub reachable again'), 10_000, 100);

    // 4. The agent stops: after the silence limit the hub reports it unreachable.
    agent.kill('SIGTERM');
    await exited;
    const nodeState = async () => {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
        body: JSON.stringify({ query: '{ nodes { name state connected } }' }),
      });
      return ((await res.json()) as { data: { nodes: { state: string }[] } }).data.nodes[0]?.state;
    };
    await waitFor(async () => (await nodeState()) === 'unreachable', 10_000, 200);
    const metrics = await (
      await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } })
    ).text();
    expect(metrics).toContain('medic_nodes{state="unreachable"} 1');
  }, 120_000);
});
