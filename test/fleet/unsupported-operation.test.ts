/**
 * Protocol compatibility with a newer hub (issue 15): a real `medic serve` agent is delivered a
 * command whose operation it does not know (a row put straight into fleet_commands, as a newer
 * hub would queue it). The agent answers it at once with UNSUPPORTED_OPERATION naming its version
 * and the operation — the command is done, not left to expire — and keeps shipping: a hold from
 * the hub right after is taken and its events reach the hub. And the hub's own mutation, when an
 * older agent answers UNSUPPORTED_OPERATION, gives a ValidationError naming node, operation and
 * the agent's answer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { loadEnv } from '../../src/config/env.js';
import { unsupportedResult } from '../../src/fleet/ship-reply.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

describe.skipIf(skipPg)('an operation the agent does not know (real PostgreSQL, real agent)', () => {
  let hub: RunningHub | null = null;
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
  });

  it('is answered UNSUPPORTED_OPERATION at once while the agent keeps shipping and taking commands', async () => {
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: await freshDatabase(),
      MEDIC_PORT: '0',
      MEDIC_HUB_COMMAND_WAIT_MS: '15000',
    });
    hub = await startHub({ env, logger: createLogger('silent') });
    const { db, pool } = hub.database;
    const agentToken = await createHubToken(db, 'agent-b', 'agent', 'node-b', Date.now());
    const operator = await createHubToken(db, 'alice', 'operator', null, Date.now());
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
    const web = async () =>
      (await gql(hub!.url, operator, '{ service(node: "node-b", name: "web") { state } }')).data?.service;
    await waitFor(async () => (await web())?.state === 'healthy', 30_000, 100).catch(fail);

    // A newer hub's operation, queued as that hub would: the agent's version has no such mutation.
    const now = Date.now();
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO fleet_commands (node, service, operation, args, actor, role, reason, state, created_at, expires_at)
       VALUES ($1, '*', 'rebootNode', '{"delaySec": 5}', 'alice', 'admin', 'kernel upgrade', 'pending', $2, $3) RETURNING id`,
      ['node-b', now, now + 600_000],
    );
    const id = Number(rows[0]!.id);
    const command = async () =>
      (await gql(hub!.url, operator, `{ command(id: ${id}) { state result { ok type code message } } }`)).data
        ?.command;
    await waitFor(async () => (await command())?.state === 'done', 15_000, 100).catch(fail);
    expect(await command()).toEqual({
      state: 'done',
      result: {
        ok: false,
        type: 'Error',
        code: 'UNSUPPORTED_OPERATION',
        message: expect.stringContaining(`this agent (medic ${VERSION}) does not run rebootNode`),
      },
    });
    expect(agent.output()).not.toContain('cannot ship to the hub');

    // Shipping goes on: a hold is taken by the same agent and its events reach the hub.
    const held = await gql(
      hub.url,
      operator,
      `mutation { holdService(node: "node-b", name: "web", ttlSec: 600, reason: "after the unknown one") {
        __typename ... on Service { state } ... on MutationError { code message } } }`,
    );
    expect(held.data.holdService).toEqual({ __typename: 'Service', state: 'held' });
    const heldEvents = async () =>
      (
        await pool.query(
          "SELECT 1 FROM fleet_events WHERE node = 'node-b' AND event->>'actor' = 'hub:alice' AND event->>'stateTo' = 'held'",
        )
      ).rowCount;
    await waitFor(async () => (await heldEvents()) === 1, 15_000, 100).catch(fail);
  });

  it("answers the hub's own mutation, when an older agent does not know it, with a ValidationError naming node, operation and answer", async () => {
    const db = hub!.database.db;
    const oldAgent = await createHubToken(db, 'agent-c', 'agent', 'node-c', Date.now());
    const operator = await createHubToken(db, 'bob', 'operator', null, Date.now());
    // An agent of the previous version, speaking the wire protocol by hand.
    const first = await ship(hub!.url, oldAgent, batch('node-c', null, [], [view('web', 'running')]));
    expect(first.status).toBe(200);
    const answer = gql(
      hub!.url,
      operator,
      `mutation { scheduleMaintenance(node: "node-c", durationSec: 600, reason: "patch") {
        __typename ... on MutationError { code message } } }`,
    );
    let delivered: NonNullable<Awaited<ReturnType<typeof ship>>['body']['commands']> = [];
    await waitFor(async () => {
      delivered = (await ship(hub!.url, oldAgent, batch('node-c', first.body.cursor!))).body.commands ?? [];
      return delivered.length > 0;
    }, 10_000);
    const result = unsupportedResult(
      { ...delivered[0]!, role: 'operator', expiresAt: 0 },
      '0.0.9',
      Date.now(),
    );
    const stored = await ship(hub!.url, oldAgent, batch('node-c', first.body.cursor!, [], [], [result]));
    expect(stored.status).toBe(200);
    const { data } = await answer;
    expect(data.scheduleMaintenance).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: expect.stringMatching(
        /^node node-c did not run scheduleMaintenance \(UNSUPPORTED_OPERATION\): this agent \(medic 0\.0\.9\) does not run scheduleMaintenance/,
      ),
    });
  });
});
