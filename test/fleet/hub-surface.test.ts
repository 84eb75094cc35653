/**
 * The hub's HTTP surface beside /graphql, as an agent's (real PostgreSQL): `/runbook` (HTML and
 * Markdown, every recommended-action anchor the services' runbookUrl points at), `/status` (the
 * agent's payload for the fleet, viewer token), GraphQL over WebSocket (graphql-ws: a
 * subscription sees shipped events; a bad token is closed with 4403), and `nodes` answered by the
 * same query on an agent and the hub.
 */
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadEnv } from '../../src/config/env.js';
import { allRunbookAnchors } from '../../src/core/runbook-anchors.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { startHarness } from '../api/harness.js';
import { waitFor } from '../helpers/systemd.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const NODES_QUERY = '{ nodes { name connected version counts { state count } } }';

describe.skipIf(skipPg)('the hub beside /graphql (real PostgreSQL)', () => {
  let hub: RunningHub;
  let viewer = '';
  let agent = '';

  beforeAll(async () => {
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' });
    hub = await startHub({ env, logger: createLogger('silent') });
    viewer = await createHubToken(hub.database.db, 'grafana', 'viewer', null, Date.now());
    agent = await createHubToken(hub.database.db, 'agent-a', 'agent', 'node-a', Date.now());
    expect((await ship(hub.url, agent, batch('node-a', null, [], [view('api', 'held')]))).status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('serves the runbook the services link to, as HTML and Markdown, without a token', async () => {
    const html = await fetch(`${hub.url}/runbook`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    const page = await html.text();
    for (const anchor of allRunbookAnchors()) expect(page).toContain(`id="${anchor}"`);
    const md = await fetch(`${hub.url}/runbook.md`);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(await md.text()).toContain('<a id="action-inspect-and-approve"></a>');
    expect((await fetch(`${hub.url}/runbook`, { method: 'POST' })).status).toBe(405);
  });

  it("serves /status for the fleet (the agent's payload plus node), to a hub token only", async () => {
    expect((await fetch(`${hub.url}/status`)).status).toBe(401);
    expect((await fetch(`${hub.url}/status`, { headers: { authorization: `Bearer ${agent}` } })).status).toBe(
      403,
    );
    const res = await fetch(`${hub.url}/status?node=node-a`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { generatedAt: string; services: Record<string, unknown>[] };
    expect(body.generatedAt).toMatch(/^\d{4}-/);
    expect(body.services).toEqual([
      expect.objectContaining({ id: 'node-a/api', node: 'node-a', name: 'api', state: 'held' }),
    ]);
  });

  it('streams subscriptions over graphql-ws like an agent, and refuses a bad token with 4403', async () => {
    const client = createClient({
      url: `${hub.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${viewer}` },
      retryAttempts: 0,
    });
    const received: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription { recoveryEvents(node: "node-a") { id node kind service } }' },
        { next: (r) => received.push(r.data), error: reject, complete: resolve },
      );
    });
    await waitFor(() => hub.bus.listeners().fleet === 1, 10_000, 20);
    const ev = { id: 1, at: Date.now(), service: 'api', kind: 'hold_set' };
    expect((await ship(hub.url, agent, batch('node-a', 0, [ev]))).status).toBe(200);
    await waitFor(() => received.length === 1, 10_000, 20);
    expect(received).toEqual([
      { recoveryEvents: { id: 'node-a/1', node: 'node-a', kind: 'hold_set', service: 'api' } },
    ]);
    await client.dispose();
    await done.catch(() => {});
    await waitFor(() => hub.bus.listeners().fleet === 0, 10_000, 20);

    const refused = await new Promise<number>((resolve) => {
      const bad = createClient({
        url: `${hub.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${agent}` },
        retryAttempts: 0,
        on: { closed: (e) => resolve((e as { code: number }).code) },
      });
      bad.subscribe(
        { query: 'subscription { hubEvents { kind } }' },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    });
    expect(refused).toBe(4403);
  });

  it('answers one nodes query the same way on an agent and the hub', async () => {
    const atHub = await gql(hub.url, viewer, NODES_QUERY);
    expect(atHub.data.nodes).toEqual([
      { name: 'node-a', connected: true, version: 'test', counts: [{ state: 'held', count: 1 }] },
    ]);
    const h = await startHarness();
    try {
      const atAgent = await h.gql<{
        nodes: { name: string; connected: boolean; version: string; counts: unknown[] }[];
      }>('viewer', NODES_QUERY);
      expect(atAgent.body.errors).toBeUndefined();
      expect(atAgent.body.data!.nodes).toEqual([
        {
          name: expect.any(String),
          connected: true,
          version: expect.stringMatching(/^\d+\.\d+\.\d+/),
          counts: [{ state: 'healthy', count: 2 }],
        },
      ]);
    } finally {
      await h.close();
    }
  });
});
