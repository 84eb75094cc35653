/**
 * The hub's agent endpoint against a real PostgreSQL: idempotent on (node, event id), refusing
 * wrong-node tokens, malformed, out-of-order, gapped and oversize batches; silent nodes become
 * unreachable (GraphQL and /metrics); the fleet service listing pages by `node/name`.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { MAX_BATCH_EVENTS, SHIP_PATH } from '../../src/fleet/protocol.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken, createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase, skipPg } from './pg.js';

const T0 = Date.UTC(2026, 0, 1);
const ev = (id: number, service = 'api') => ({
  id,
  at: T0 + id,
  service,
  kind: 'restart_decided',
  decision: 'restart',
});
const view = (name: string, tag: string) => ({ name, unit: `${name}.service`, state: { tag } });

describe.skipIf(skipPg)('hub ingest (real PostgreSQL)', () => {
  let hub: RunningHub;
  const clock = new SimulatedClock(T0);
  let tokenA = '';
  let tokenB = '';
  let viewer = '';
  let url = '';

  beforeAll(async () => {
    url = await freshDatabase();
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: url, MEDIC_PORT: '0', MEDIC_HUB_SILENCE_SEC: '30' });
    hub = await startHub({ env, logger: createLogger('silent'), clock });
    tokenA = await createAgentToken(hub.database.db, 'agent-a', 'node-a', T0);
    tokenB = await createAgentToken(hub.database.db, 'agent-b', 'node-b', T0);
    viewer = await createHubToken(hub.database.db, 'grafana', 'viewer', null, T0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const ship = async (token: string, body: unknown) => {
    const res = await fetch(hub.url + SHIP_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { cursor?: number; error?: { code: string } } };
  };
  const batch = (node: string, after: number | null, events: unknown[], services: unknown[] = []) => ({
    node,
    version: '0.1.0',
    after,
    events,
    services,
  });
  const gql = async (query: string) => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ query }),
    });
    return ((await res.json()) as { data: Record<string, never> }).data;
  };
  const count = async (node: string) =>
    Number(
      (await hub.database.pool.query('SELECT count(*) AS n FROM fleet_events WHERE node = $1', [node]))
        .rows[0].n,
    );

  it('a heartbeat without a cursor learns the hub cursor (0 for a new node)', async () => {
    expect(await ship(tokenA, batch('node-a', null, []))).toEqual({
      status: 200,
      body: { cursor: 0, commands: [] },
    });
  });

  it('stores a batch once: re-sending it (a lost reply) changes nothing', async () => {
    const b = batch('node-a', 0, [ev(1), ev(2), ev(3)], [view('api', 'cooldown'), view('db', 'healthy')]);
    expect(await ship(tokenA, b)).toEqual({ status: 200, body: { cursor: 3, commands: [] } });
    expect(await ship(tokenA, b)).toEqual({ status: 200, body: { cursor: 3, commands: [] } });
    expect(await count('node-a')).toBe(3);
    const row = await hub.database.pool.query(
      'SELECT event FROM fleet_events WHERE node = $1 AND event_id = 2',
      ['node-a'],
    );
    expect(row.rows[0].event).toEqual(ev(2));
  });

  it("refuses another node's token, whatever the batch says", async () => {
    const res = await ship(tokenB, batch('node-a', 3, [ev(4)]));
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('WRONG_NODE');
    expect(await count('node-a')).toBe(3);
    expect(await count('node-b')).toBe(0);
  });

  it('refuses unknown tokens, malformed, out-of-order, gapped and oversize batches', async () => {
    expect((await ship('medic_nope', batch('node-a', 3, [ev(4)]))).status).toBe(401);
    const malformed = await ship(tokenA, '{"node": "node-a", "events": "x"}');
    expect([malformed.status, malformed.body.error?.code]).toEqual([400, 'MALFORMED_BATCH']);
    expect((await ship(tokenA, '{not json')).body.error?.code).toBe('MALFORMED_BATCH');
    const backwards = await ship(tokenA, batch('node-a', 3, [ev(5), ev(4)]));
    expect([backwards.status, backwards.body.error?.code]).toEqual([400, 'OUT_OF_ORDER']);
    const overlap = await ship(tokenA, batch('node-a', 3, [ev(3)]));
    expect(overlap.body.error?.code).toBe('OUT_OF_ORDER');
    const gap = await ship(tokenA, batch('node-a', 7, [ev(8)]));
    expect(gap).toEqual({
      status: 409,
      body: { error: expect.objectContaining({ code: 'GAP' }), cursor: 3 },
    });
    const many = Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => ev(4 + i));
    const big = await ship(tokenA, batch('node-a', 3, many));
    expect([big.status, big.body.error?.code]).toEqual([413, 'BATCH_TOO_LARGE']);
    const huge = await ship(tokenA, batch('node-a', 3, [{ ...ev(4), data: 'x'.repeat(5 * 1024 * 1024) }]));
    expect(huge.body.error?.code).toBe('BATCH_TOO_LARGE');
    expect(await count('node-a')).toBe(3);
  });

  it('lists nodes with their services by state, and marks a silent node unreachable', async () => {
    expect((await ship(tokenB, batch('node-b', null, [], [view('web', 'held')]))).status).toBe(200);
    clock.advance(20_000);
    expect((await ship(tokenB, batch('node-b', 0, []))).status).toBe(200);
    clock.advance(15_000); // node-a silent 35 s, node-b 15 s; the limit is 30 s
    const data = await gql('{ nodes { name connected state version counts { state count } } }');
    expect(data.nodes).toEqual([
      {
        name: 'node-a',
        connected: false,
        state: 'unreachable',
        version: '0.1.0',
        counts: [
          { state: 'cooldown', count: 1 },
          { state: 'healthy', count: 1 },
        ],
      },
      {
        name: 'node-b',
        connected: true,
        state: 'connected',
        version: '0.1.0',
        counts: [{ state: 'held', count: 1 }],
      },
    ]);
    const metrics = await (
      await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } })
    ).text();
    expect(metrics).toContain('medic_nodes{state="connected"} 1');
    expect(metrics).toContain('medic_nodes{state="unreachable"} 1');
  });

  it('pages fleet services by node/name and filters by node and state', async () => {
    const page1 = await gql(
      '{ servicePage(first: 2) { nodes { id node name state nodeInfo { name } } hasNextPage endCursor } }',
    );
    expect(page1.servicePage).toEqual({
      nodes: [
        { id: 'node-a/api', node: 'node-a', name: 'api', state: 'cooldown', nodeInfo: { name: 'node-a' } },
        { id: 'node-a/db', node: 'node-a', name: 'db', state: 'healthy', nodeInfo: { name: 'node-a' } },
      ],
      hasNextPage: true,
      endCursor: 'node-a/db',
    });
    const page2 = await gql('{ servicePage(first: 2, after: "node-a/db") { nodes { id } hasNextPage } }');
    expect(page2.servicePage).toEqual({ nodes: [{ id: 'node-b/web' }], hasNextPage: false });
    // Backward: the `last` services before `before` (none: the last of all), and by ids.
    const back = await gql(
      '{ servicePage(last: 2, before: "node-b/web") { nodes { id } hasPreviousPage hasNextPage startCursor } }',
    );
    expect(back.servicePage).toEqual({
      nodes: [{ id: 'node-a/api' }, { id: 'node-a/db' }],
      hasPreviousPage: false,
      hasNextPage: true,
      startCursor: 'node-a/api',
    });
    const tail = await gql('{ servicePage(last: 1) { nodes { id } hasPreviousPage } }');
    expect(tail.servicePage).toEqual({ nodes: [{ id: 'node-b/web' }], hasPreviousPage: true });
    const mixed = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ query: '{ servicePage(last: 1, after: "node-a/db") { nodes { id } } }' }),
    });
    expect(
      ((await mixed.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('VALIDATION');
    const byIds = await gql('{ servicesByIds(ids: ["node-b/web", "node-z/none", "node-a/api"]) { id } }');
    expect(byIds.servicesByIds).toEqual([{ id: 'node-b/web' }, { id: 'node-a/api' }]);
    const held = await gql('{ servicePage(first: 10, state: held) { nodes { id } } }');
    expect(held.servicePage).toEqual({ nodes: [{ id: 'node-b/web' }] });
    // The list form, as on an agent (the same arguments).
    const onA = await gql('{ services(first: 10, node: "node-a") { id } }');
    expect(onA.services).toEqual([{ id: 'node-a/api' }, { id: 'node-a/db' }]);
    const all = await gql('{ services { id } }');
    expect(all.services).toEqual([{ id: 'node-a/api' }, { id: 'node-a/db' }, { id: 'node-b/web' }]);
  });

  it('`medic hub token create --node` prints a token that ships for that node only', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (b) => {
      out += b;
    });
    const env = { MEDIC_HUB_DATABASE_URL: url };
    expect(await main(['hub', 'token', 'create', '--node', 'node-c'], { stdout, env, clock })).toBe(0);
    const secret = out.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^medic_/);
    expect((await ship(secret, batch('node-c', null, []))).status).toBe(200);
    expect((await ship(secret, batch('node-a', null, []))).body.error?.code).toBe('WRONG_NODE');
    // Names are unique: a second token with the same name is refused with exit 2.
    const stderr = new PassThrough();
    expect(await main(['hub', 'token', 'create', '--node', 'node-c'], { stdout, stderr, env, clock })).toBe(
      2,
    );
  });

  it('answers /readyz 200 while PostgreSQL answers', async () => {
    const res = await fetch(`${hub.url}/readyz`);
    expect(res.status).toBe(200);
  });
});
