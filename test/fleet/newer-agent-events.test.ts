/**
 * An agent of a newer version ships an event with a kind, decision and states this hub does not
 * know (real PostgreSQL, real HTTP): the hub stores it, and every query that reads it still
 * answers — `kind: other` with the recorded `kindName`, unknown codes as null — instead of
 * failing the whole page (which took the hub's status page down with a 500).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

describe.skipIf(skipPg)("a newer agent's event kinds at the hub (real PostgreSQL)", () => {
  let hub: RunningHub | null = null;
  afterAll(async () => hub?.close());

  it('answers kind other with kindName, and unknown codes as null, beside known events', async () => {
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' });
    hub = await startHub({ env, logger: createLogger('silent') });
    const agent = await createHubToken(hub.database.db, 'agent-a', 'agent', 'node-a', Date.now());
    const viewer = await createHubToken(hub.database.db, 'v', 'viewer', null, Date.now());
    const events = [
      {
        id: 1,
        at: Date.now(),
        service: 'web',
        kind: 'circuit_opened',
        stateFrom: 'cooldown',
        stateTo: 'circuit_open',
      },
      {
        id: 2,
        at: Date.now(),
        service: 'web',
        kind: 'quantum_restart_decided',
        decision: 'future_code',
        stateFrom: 'circuit_open',
        stateTo: 'superposed',
      },
    ];
    expect((await ship(hub.url, agent, batch('node-a', null))).status).toBe(200);
    expect(
      (await ship(hub.url, agent, batch('node-a', 0, events, [view('web', 'circuit_open')]))).status,
    ).toBe(200);
    const page = await gql(
      hub.url,
      viewer,
      '{ recoveryEvents(node: "node-a", first: 10) { nodes { kind kindName decision stateFrom stateTo } } }',
    );
    expect(page.errors).toBeUndefined();
    expect(page.data.recoveryEvents.nodes).toEqual([
      {
        kind: 'other',
        kindName: 'quantum_restart_decided',
        decision: null,
        stateFrom: 'circuit_open',
        stateTo: null,
      },
      {
        kind: 'circuit_opened',
        kindName: 'circuit_opened',
        decision: null,
        stateFrom: 'cooldown',
        stateTo: 'circuit_open',
      },
    ]);
  }, 30_000);
});
