/**
 * Two hub replicas on one real PostgreSQL: a subscription on replica 2 receives the events an
 * agent shipped to replica 1 (LISTEN/NOTIFY), in order, once each. A node that goes silent is
 * marked down exactly once although both replicas sweep (one audited `node_down`, seen by the
 * subscribers of both replicas; `medic_node_up{node}` 0), and comes back with one `node_up`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { batch, gql, ship, subscribe } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const ev = (id: number) => ({ id, at: Date.now(), service: 'api', kind: 'restart_decided' });

describe.skipIf(skipPg)('hub replicas (real PostgreSQL)', () => {
  const hubs: RunningHub[] = [];
  const subs: ReturnType<typeof subscribe>[] = [];
  let agent = '';
  let viewer = '';

  beforeAll(async () => {
    const url = await freshDatabase();
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: url,
      MEDIC_PORT: '0',
      MEDIC_HUB_SILENCE_SEC: '1',
      MEDIC_HUB_SWEEP_MS: '100',
    });
    hubs.push(await startHub({ env, logger: createLogger('silent') }));
    hubs.push(await startHub({ env, logger: createLogger('silent') }));
    agent = await createHubToken(hubs[0]!.database.db, 'agent-n1', 'agent', 'n1', 0);
    viewer = await createHubToken(hubs[0]!.database.db, 'grafana', 'viewer', null, 0);
  });
  afterAll(async () => {
    for (const s of subs) await s.close();
    for (const h of hubs) await h.close();
  });

  it('a subscriber on replica 2 sees what replica 1 stored; node down/up once across replicas', async () => {
    const [one, two] = hubs as [RunningHub, RunningHub];
    const events = subscribe(
      two.url,
      viewer,
      'subscription { recoveryEvents(node: "n1") { node eventId kind } }',
    );
    const downUp1 = subscribe(
      one.url,
      viewer,
      'subscription { hubEvents(kinds: ["node_down", "node_up"]) { kind node } }',
    );
    const downUp2 = subscribe(two.url, viewer, 'subscription { hubEvents(node: "n1") { kind node } }');
    subs.push(events, downUp1, downUp2);
    await Promise.all([events.ready, downUp1.ready, downUp2.ready]);
    await waitFor(
      () => two.bus.listeners().fleet === 1 && two.bus.listeners().hub === 1 && one.bus.listeners().hub === 1,
      5_000,
      20,
    );

    expect((await ship(one.url, agent, batch('n1', null))).body.cursor).toBe(0);
    expect((await ship(one.url, agent, batch('n1', 0, [ev(1), ev(2)]))).body.cursor).toBe(2);
    expect((await ship(one.url, agent, batch('n1', 2, [ev(3)]))).body.cursor).toBe(3);
    // A re-sent batch stores nothing, so notifies nothing.
    expect((await ship(one.url, agent, batch('n1', 0, [ev(1), ev(2)]))).body.cursor).toBe(3);
    await waitFor(() => events.received.length >= 3, 5_000, 20);
    expect(events.received).toEqual(
      [1, 2, 3].map((id) => ({ recoveryEvents: { node: 'n1', eventId: id, kind: 'restart_decided' } })),
    );

    // Silent for longer than 1 s: one node_down, whichever replica swept first.
    await waitFor(() => downUp1.received.length >= 1 && downUp2.received.length >= 1, 10_000, 50);
    const metrics = await (
      await fetch(`${two.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } })
    ).text();
    expect(metrics).toContain('medic_node_up{node="n1"} 0');
    const nodes = await gql(two.url, viewer, '{ nodes { name state downSince } }');
    expect(nodes.data.nodes).toEqual([{ name: 'n1', state: 'unreachable', downSince: expect.any(String) }]);

    // Back (through replica 2): one node_up.
    expect((await ship(two.url, agent, batch('n1', 3))).status).toBe(200);
    await waitFor(() => downUp1.received.length >= 2 && downUp2.received.length >= 2, 5_000, 20);
    const log = await gql(one.url, viewer, '{ hubEvents(node: "n1", first: 50) { kind } }');
    // Both replicas swept every 100 ms for the whole silence, yet: exactly one down, one up.
    const kinds = log.data.hubEvents.map((e: { kind: string }) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['node_down', 'node_up']);
    expect(downUp1.received.slice(0, 2)).toEqual([
      { hubEvents: { kind: 'node_down', node: 'n1' } },
      { hubEvents: { kind: 'node_up', node: 'n1' } },
    ]);
    expect(downUp2.received.slice(0, 2)).toEqual(downUp1.received.slice(0, 2));
    expect(events.received).toHaveLength(3); // nothing twice
  }, 60_000);
});
