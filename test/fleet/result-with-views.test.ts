/**
 * A command's result and the service views of the batch that carries it commit together
 * (real PostgreSQL, real HTTP): while the batch's view upsert cannot commit, nobody sees the
 * command done — so a hub mutation waiting for it never answers the service as it was before
 * the command (found as "held web: now healthy" under load).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

describe.skipIf(skipPg)('a command result and its batch views (real PostgreSQL)', () => {
  let hub: RunningHub | null = null;
  afterAll(async () => hub?.close());

  it('are seen together: the command is not done before the view that came with it', async () => {
    const url = await freshDatabase();
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: url, MEDIC_PORT: '0', MEDIC_HUB_COMMAND_WAIT_MS: '0' });
    hub = await startHub({ env, logger: createLogger('silent') });
    const db = hub.database.db;
    const agent = await createHubToken(db, 'agent-a', 'agent', 'node-a', Date.now());
    const operator = await createHubToken(db, 'alice', 'operator', null, Date.now());
    expect((await ship(hub.url, agent, batch('node-a', null, [], [view('web', 'healthy')]))).status).toBe(
      200,
    );
    const held = await gql(
      hub.url,
      operator,
      'mutation { holdService(node: "node-a", name: "web", ttlSec: 600, reason: "deploy") { ... on PendingCommand { commandId } } }',
    );
    const id = held.data.holdService.commandId as number;
    expect((await ship(hub.url, agent, batch('node-a', 0))).body.commands?.map((c) => c.id)).toEqual([id]);

    const locker = new pg.Client({ connectionString: url });
    const reader = new pg.Client({ connectionString: url });
    await locker.connect();
    await reader.connect();
    try {
      // Another transaction holds the service's view row: the batch's upsert waits for it.
      await locker.query('BEGIN');
      await locker.query("SELECT 1 FROM fleet_services WHERE node = 'node-a' AND name = 'web' FOR UPDATE");
      const result = {
        id,
        at: Date.now(),
        ok: true,
        type: 'Service',
        code: null,
        message: null,
        state: 'held',
      };
      const shipping = ship(hub.url, agent, batch('node-a', 0, [], [view('web', 'held')], [result]));
      await new Promise((r) => setTimeout(r, 500));
      const during = await reader.query('SELECT state FROM fleet_commands WHERE id = $1', [id]);
      expect(during.rows).toEqual([{ state: 'delivered' }]);
      await locker.query('COMMIT');
      expect((await shipping).status).toBe(200);
      const after = await reader.query(
        "SELECT c.state, s.state AS view FROM fleet_commands c, fleet_services s WHERE c.id = $1 AND s.node = 'node-a' AND s.name = 'web'",
        [id],
      );
      expect(after.rows).toEqual([{ state: 'done', view: 'held' }]);
    } finally {
      await locker.end();
      await reader.end();
    }
  }, 30_000);
});
