/**
 * PostgreSQL restarted under a real agent's crash storm: while the database is down the hub
 * answers /readyz 503, the agent keeps deciding locally (its log grows) and keeps retrying;
 * once PostgreSQL is back the agent re-ships, and the hub's events equal the agent's log up to
 * the hub's cursor: nothing lost, nothing doubled. The server is the test's own (own-pg.ts).
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, hubEventRows, startAgent } from './agent-process.js';
import { type OwnPg, ownPostgres } from './own-pg.js';
import { skipPg } from './pg.js';

const policy = { ...FLEET_POLICY, windowSec: 600 };

const agentEvents = (db: string) => {
  const sqlite = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return sqlite.prepare('SELECT id, kind, service FROM events ORDER BY id').all() as {
      id: number;
      kind: string;
      service: string | null;
    }[];
  } finally {
    sqlite.close();
  }
};

describe.skipIf(skipPg)('PostgreSQL restarted under load (real PostgreSQL, real agent)', () => {
  let pg: OwnPg | null = null;
  let hub: RunningHub | null = null;
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
    await pg?.destroy();
  });

  it('loses nothing and doubles nothing across a database restart', async () => {
    pg = await ownPostgres();
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: pg.url, MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    const token = await createHubToken(hub.database.db, 'agent-a', 'agent', 'node-a', Date.now());
    const { child: agent, db: agentDb } = startAgent({
      hubUrl: hub.url,
      token: token,
      node: 'node-a',
      service: { name: 'crasher', python: 'import time, sys; time.sleep(0.3); sys.exit(3)', policy },
    });
    children.push(agent);
    const hubRows = () => hubEventRows(hub!.database.pool, 'node-a');
    await waitFor(
      async () => (await hubRows()).filter((e) => e.service === 'crasher').length >= 3,
      30_000,
      100,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
    });

    // PostgreSQL goes down mid-storm.
    await pg.stop();
    const atStop = agentEvents(agentDb).at(-1)!.id;
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(503);
    await waitFor(() => agentEvents(agentDb).at(-1)!.id >= atStop + 4, 30_000, 100);
    await waitFor(() => agent.output().includes('cannot ship to the hub'), 15_000, 100);
    await pg.start();

    // Back: the agent catches up; the hub's rows equal the agent's log up to the hub's cursor.
    await waitFor(async () => (await fetch(`${hub!.url}/readyz`)).status === 200, 15_000, 100);
    const target = agentEvents(agentDb).at(-1)!.id;
    await waitFor(async () => ((await hubRows()).at(-1)?.id ?? 0) >= target, 60_000, 200);
    const atHub = await hubRows();
    const cursor = atHub.at(-1)!.id;
    expect(atHub).toEqual(agentEvents(agentDb).filter((e) => e.id <= cursor));
    expect(new Set(atHub.map((e) => e.id)).size).toBe(atHub.length);
    expect(agent.output()).toContain('hub reachable again');
  }, 180_000);
});
