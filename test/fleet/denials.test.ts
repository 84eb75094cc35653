/**
 * Refusals by role at the hub are audited in the hub's log as `access_denied`, once per token and
 * operation per minute with the count of refusals it stands for (speak once): a viewer's hold, an
 * agent token at /graphql and /metrics, an operator token at the ship endpoint, an agent token
 * shipping for another node. The hub runs on a SimulatedClock (the minute is simulated).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const T0 = Date.UTC(2026, 10, 30, 12);

describe.skipIf(skipPg)('refusals by role at the hub (real PostgreSQL)', () => {
  let hub: RunningHub;
  const clock = new SimulatedClock(T0);
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' });
    hub = await startHub({ env, logger: createLogger('silent'), clock });
    const db = hub.database.db;
    tokens.a = await createHubToken(db, 'agent-a', 'agent', 'node-a', T0);
    tokens.b = await createHubToken(db, 'agent-b', 'agent', 'node-b', T0);
    tokens.viewer = await createHubToken(db, 'grafana', 'viewer', null, T0);
    tokens.operator = await createHubToken(db, 'alice', 'operator', null, T0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const denied = async () =>
    (
      await hub.database.pool.query<{ actor: string; node: string | null; data: Record<string, unknown> }>(
        "SELECT actor, node, data FROM hub_events WHERE kind = 'access_denied' ORDER BY id",
      )
    ).rows;
  const hold = () =>
    gql(
      hub.url,
      tokens.viewer!,
      'mutation { holdService(node: "node-a", name: "api", ttlSec: 60, reason: "x") { ... on MutationError { code } } }',
    );

  it('audits the first refusal of a minute and counts the rest', async () => {
    expect((await ship(hub.url, tokens.a!, batch('node-a', null, [], [view('api', 'healthy')]))).status).toBe(
      200,
    );
    for (let i = 0; i < 3; i++) expect((await hold()).data.holdService.code).toBe('NOT_ALLOWED');
    await waitFor(async () => (await denied()).length >= 1, 5000, 20);
    let rows = await denied();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: 'grafana',
      node: 'node-a',
      data: { operation: 'holdService', role: 'viewer', required: 'operator', count: 1 },
    });

    // A minute later the next refusal is written with the two it stands for, plus itself.
    clock.advance(60_000);
    await hold();
    await waitFor(async () => (await denied()).length >= 2, 5000, 20);
    rows = await denied();
    expect(rows[1]!.data).toMatchObject({ operation: 'holdService', count: 3 });
  });

  it('audits the doors: an agent token at /graphql and /metrics, an API token or another node shipping', async () => {
    const before = (await denied()).length;
    expect((await gql(hub.url, tokens.a!, '{ nodes { name } }')).status).toBe(403);
    const metrics = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${tokens.a}` } });
    expect(metrics.status).toBe(403);
    expect((await ship(hub.url, tokens.operator!, batch('node-a', null))).body.error?.code).toBe(
      'WRONG_ROLE',
    );
    expect((await ship(hub.url, tokens.b!, batch('node-a', null))).body.error?.code).toBe('WRONG_NODE');
    await waitFor(async () => (await denied()).length >= before + 4, 5000, 20);
    const rows = (await denied()).slice(before);
    expect(rows.map((r) => [r.actor, r.data.operation, r.data.required])).toEqual([
      ['agent-a', 'graphql', 'viewer'],
      ['agent-a', 'metrics', 'viewer'],
      ['alice', 'ship', 'agent'],
      ['agent-b', 'ship for node node-a', 'agent token of node node-a'],
    ]);
  });
});
