/**
 * A hold issued at the hub is executed by a real agent (`medic serve`, process backend) through
 * its own API and engine, and audited on both sides: the hub's command is done with the agent's
 * result (the service held), the agent's own audit log has the hold decision made for
 * `hub:<operator>` naming the hub command, that event reaches the hub's fleet_events, and the
 * hub's log has command_issued + command_result. An agent token of another node is refused.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { batch, gql, ship } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const policy = FLEET_POLICY;

describe.skipIf(skipPg)('a hub command run by a real agent (real PostgreSQL)', () => {
  let hub: RunningHub | null = null;
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
  });

  it('holds a service on node-b from the hub, audited on both sides', async () => {
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: await freshDatabase(),
      MEDIC_PORT: '0',
      MEDIC_HUB_COMMAND_WAIT_MS: '15000',
    });
    hub = await startHub({ env, logger: createLogger('silent') });
    const db = hub.database.db;
    const agentToken = await createHubToken(db, 'agent-b', 'agent', 'node-b', Date.now());
    const operator = await createHubToken(db, 'alice', 'operator', null, Date.now());

    const { child: agent, db: agentDb } = startAgent({
      hubUrl: hub.url,
      token: agentToken,
      node: 'node-b',
      service: { name: 'web', python: 'import time; time.sleep(3600)', policy },
    });
    children.push(agent);
    await waitFor(
      async () =>
        (await gql(hub!.url, operator, '{ service(node: "node-b", name: "web") { id } }')).data?.service !==
        null,
      30_000,
      100,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
    });

    // The node-b agent token cannot ship as node-a.
    const wrong = await ship(hub.url, agentToken, batch('node-a', null));
    expect(wrong.status).toBe(403);
    expect(wrong.body.error?.code).toBe('WRONG_NODE');

    const answer = await gql(
      hub.url,
      operator,
      `mutation { holdService(node: "node-b", name: "web", ttlSec: 600, reason: "db migration") {
        __typename ... on Service { id node name state hold { actor reason } }
        ... on PendingCommand { message } ... on MutationError { code message } } }`,
    );
    // The agent's own answer, the same type its API gives: the Service, held by hub:alice.
    expect(answer.data.holdService).toEqual({
      __typename: 'Service',
      id: 'node-b/web',
      node: 'node-b',
      name: 'web',
      state: 'held',
      hold: { actor: 'hub:alice', reason: 'db migration' },
    });
    const commands = await gql(
      hub.url,
      operator,
      '{ commands(node: "node-b") { id state result { ok type state } } }',
    );
    expect(commands.data.commands).toEqual([
      { id: expect.any(Number), state: 'done', result: { ok: true, type: 'Service', state: 'held' } },
    ]);
    const id = commands.data.commands[0].id as number;

    // The agent's own audit log: the hold decision, for hub:alice, naming the hub command.
    const sqlite = new Database(agentDb, { readonly: true });
    const local = sqlite
      .prepare(
        "SELECT id, kind, actor, state_to AS stateTo, data FROM events WHERE service = 'web' AND actor = 'hub:alice'",
      )
      .all() as { id: number; kind: string; actor: string; stateTo: string; data: string }[];
    sqlite.close();
    expect(local).toHaveLength(1);
    expect(local[0]).toMatchObject({ actor: 'hub:alice', stateTo: 'held' });
    expect(JSON.parse(local[0]!.data)).toMatchObject({
      hubCommand: id,
      operation: 'holdService',
      role: 'operator',
    });

    // That event is shipped to the hub like any other; the service view there says held.
    await waitFor(
      async () => {
        const page = await gql(
          hub!.url,
          operator,
          '{ recoveryEvents(node: "node-b", service: "web", first: 50) { nodes { eventId actor } } service(node: "node-b", name: "web") { state } }',
        );
        return (
          page.data.recoveryEvents.nodes.some(
            (e: { eventId: number; actor: string }) => e.eventId === local[0]!.id && e.actor === 'hub:alice',
          ) && page.data.service.state === 'held'
        );
      },
      15_000,
      100,
    );
    const audit = await gql(
      hub.url,
      operator,
      '{ hubEvents(node: "node-b", first: 50) { kind actor data } }',
    );
    expect(
      audit.data.hubEvents
        .filter((e: { data: { command?: number } }) => e.data.command === id)
        .map((e: { kind: string; actor: string }) => [e.kind, e.actor]),
    ).toEqual([
      ['command_issued', 'alice'],
      ['command_result', 'alice'],
    ]);
    expect(agent.output()).toContain('hub command holdService web: taken');
  }, 120_000);
});
