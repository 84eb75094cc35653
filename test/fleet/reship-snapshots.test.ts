/**
 * The agent sends its contract snapshot and maintenance windows again when the hub may have lost
 * them (issue 15): a real `medic serve` agent ships to a real hub on real PostgreSQL; (1) the
 * hub's database is set back to an older copy under it — the node row without contract, windows
 * and cursor — and the agent, answered 409 GAP, re-ships both; (2) the hub is restarted on the
 * same port on an EMPTY database and the agent, having failed meanwhile, re-ships both there.
 * Neither changed at the agent: without forgetting what it sent, it would never send them again.
 * The same for its service views (sent only when changed since the hub confirmed them): the
 * unchanged view of `web` reaches the set-back and the emptied database again.
 */
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

/** What the hub holds of node-b's contract (its service names) and windows (their ids). */
async function snapshots(pool: pg.Pool) {
  const { rows } = await pool.query<{ services: string[] | null; windows: string[] | null }>(
    `SELECT contract->'services' AS services,
       (SELECT jsonb_agg(w->>'id') FROM jsonb_array_elements(maintenance) AS w) AS windows
     FROM nodes WHERE name = 'node-b'`,
  );
  return rows[0] ?? null;
}

/** The services the hub holds of node-b (their names). */
async function views(pool: pg.Pool) {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT name FROM fleet_services WHERE node = 'node-b' ORDER BY name",
  );
  return rows.map((r) => r.name);
}

describe.skipIf(skipPg)(
  'contract and windows re-shipped to a hub that lost them (real PostgreSQL, real agent)',
  () => {
    let hub: RunningHub | null = null;
    const children: AgentProcess['child'][] = [];
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await hub?.close().catch(() => {});
    });

    it('re-ships them after a GAP (database set back) and after the hub came back on an empty database', async () => {
      const start = async (url: string, port: string) =>
        startHub({
          env: loadEnv({ MEDIC_HUB_DATABASE_URL: url, MEDIC_PORT: port, MEDIC_HUB_COMMAND_WAIT_MS: '15000' }),
          logger: createLogger('silent'),
        });
      hub = await start(await freshDatabase(), '0');
      const port = new URL(hub.url).port;
      const agentToken = await createHubToken(hub.database.db, 'agent-b', 'agent', 'node-b', Date.now());
      const operator = await createHubToken(hub.database.db, 'alice', 'operator', null, Date.now());
      const { child: agent } = startAgent({
        hubUrl: hub.url,
        token: agentToken,
        node: 'node-b',
        service: { name: 'web', python: 'import time; time.sleep(3600)', policy: FLEET_POLICY },
      });
      children.push(agent);
      const fail = (err: Error) => {
        throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
      };
      const expected = { services: ['web'], windows: ['adhoc:1'] };
      await waitFor(async () => (await snapshots(hub!.database.pool))?.services !== null, 30_000, 100).catch(
        fail,
      );
      await waitFor(
        async () =>
          (await gql(hub!.url, operator, '{ service(node: "node-b", name: "web") { id } }')).data?.service !=
          null,
        30_000,
        100,
      ).catch(fail);
      // A window at the agent (through the hub), so there is one to lose.
      const scheduled = await gql(
        hub.url,
        operator,
        'mutation { scheduleMaintenance(node: "node-b", durationSec: 3600, reason: "patch") { __typename } }',
      );
      expect(scheduled.data.scheduleMaintenance).toEqual({ __typename: 'MaintenanceWindow' });
      await waitFor(
        async () => (await snapshots(hub!.database.pool))?.windows?.length === 1,
        15_000,
        100,
      ).catch(fail);
      expect(await snapshots(hub.database.pool)).toEqual(expected);

      // (1) The hub's database set back under it: the node's row as an older copy had it.
      await hub.database.pool.query(
        "UPDATE nodes SET contract = NULL, maintenance = NULL, cursor = 0, id_offset = 0 WHERE name = 'node-b'",
      );
      await hub.database.pool.query("DELETE FROM fleet_services WHERE node = 'node-b'");
      await waitFor(
        async () => (await snapshots(hub!.database.pool))?.windows?.length === 1,
        15_000,
        100,
      ).catch(fail);
      expect(await snapshots(hub.database.pool)).toEqual(expected);
      await waitFor(async () => (await views(hub!.database.pool)).length === 1, 15_000, 100).catch(fail);
      expect(await views(hub.database.pool)).toEqual(['web']);

      // (2) The hub restarted on the same port on an empty database (with the agent's token only).
      const { rows: token } = await hub.database.pool.query(
        "SELECT name, role, node, hash, created_at FROM agent_tokens WHERE name = 'agent-b'",
      );
      await hub.close();
      hub = null;
      const empty = await freshDatabase();
      hub = await start(empty, port);
      await hub.database.pool.query(
        'INSERT INTO agent_tokens (name, role, node, hash, created_at) VALUES ($1, $2, $3, $4, $5)',
        Object.values(token[0]!),
      );
      expect(await snapshots(hub.database.pool)).toBeNull();
      await waitFor(
        async () => (await snapshots(hub!.database.pool))?.windows?.length === 1,
        30_000,
        100,
      ).catch(fail);
      expect(await snapshots(hub.database.pool)).toEqual(expected);
      await waitFor(async () => (await views(hub!.database.pool)).length === 1, 15_000, 100).catch(fail);
      expect(await views(hub.database.pool)).toEqual(['web']);
    });
  },
);
