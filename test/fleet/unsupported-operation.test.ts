/**
 * Protocol compatibility with a newer hub (issue 15): a real `medic serve` agent is delivered, in
 * one reply, a command whose operation it does not know and one with a role it cannot read (rows
 * put straight into fleet_commands, as a newer hub would queue them) beside a hold it can run.
 * The agent answers the first UNSUPPORTED_OPERATION and the second UNREADABLE_COMMAND, each naming
 * its version — done, not left to expire — runs the hold from the same reply, and keeps shipping:
 * a release from the hub right after is taken and its events reach the hub. And the hub's own
 * mutation, when an older agent answers UNSUPPORTED_OPERATION, gives a ValidationError naming
 * node, operation and the agent's answer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { loadEnv } from '../../src/config/env.js';
import { refusalResult } from '../../src/fleet/ship-reply.js';
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

  it('answers what it cannot run at once, runs the rest of the reply and keeps shipping and taking commands', async () => {
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

    // A newer hub's operation and a newer hub's role, queued as that hub would, beside a hold
    // this agent can run: one transaction, so one reply delivers all three.
    const now = Date.now();
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO fleet_commands (node, service, operation, args, actor, role, reason, state, created_at, expires_at)
       VALUES ($1, '*', 'rebootNode', '{"delaySec": 5}', 'alice', 'admin', 'kernel upgrade', 'pending', $2, $3),
              ($1, 'web', 'forceRestart', '{}', 'alice', 'superadmin', 'a newer role', 'pending', $2, $3),
              ($1, 'web', 'holdService', '{"ttlSec": 600}', 'alice', 'operator', 'in the same reply', 'pending', $2, $3)
       RETURNING id`,
      ['node-b', now, now + 600_000],
    );
    const [reboot, newerRole, hold] = rows.map((r) => Number(r.id));
    const command = async (id: number | undefined) =>
      (
        await gql(
          hub!.url,
          operator,
          `{ command(id: ${id}) { state result { ok type code message state } } }`,
        )
      ).data?.command;
    await waitFor(
      async () =>
        (await Promise.all([reboot, newerRole, hold].map(command))).every((c) => c?.state === 'done'),
      15_000,
      100,
    ).catch(fail);
    expect(await command(reboot)).toEqual({
      state: 'done',
      result: {
        ok: false,
        type: 'Error',
        code: 'UNSUPPORTED_OPERATION',
        message: expect.stringContaining(`this agent (medic ${VERSION}) does not run rebootNode`),
        state: null,
      },
    });
    expect(await command(newerRole)).toEqual({
      state: 'done',
      result: {
        ok: false,
        type: 'Error',
        code: 'UNREADABLE_COMMAND',
        message: expect.stringMatching(
          new RegExp(
            `^this agent \\(medic ${VERSION.replaceAll('.', '\\.')}\\) cannot read command ${newerRole} \\(forceRestart\\): role: `,
          ),
        ),
        state: null,
      },
    });
    expect((await command(hold))?.result).toMatchObject({ ok: true, type: 'Service', state: 'held' });
    expect(agent.output()).not.toContain('cannot ship to the hub');

    // Shipping goes on: a release is taken by the same agent and its events reach the hub.
    const released = await gql(
      hub.url,
      operator,
      `mutation { releaseService(node: "node-b", name: "web", reason: "after the unknown ones") {
        __typename ... on Service { state } ... on MutationError { code message } } }`,
    );
    expect(released.data.releaseService).toMatchObject({ __typename: 'Service' });
    const hubEvents = async (to: string) =>
      (
        await pool.query(
          "SELECT 1 FROM fleet_events WHERE node = 'node-b' AND event->>'actor' = 'hub:alice' AND event->>'stateFrom' = $1",
          [to],
        )
      ).rowCount;
    await waitFor(async () => (await hubEvents('held')) === 1, 15_000, 100).catch(fail);
    // The force with the unreadable role never ran: no forced restart in the agent's log.
    expect(
      (
        await pool.query(
          "SELECT 1 FROM fleet_events WHERE node = 'node-b' AND event->>'decision' = 'restart_forced'",
        )
      ).rowCount,
    ).toBe(0);
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
    const result = refusalResult(
      { ...delivered[0]!, code: 'UNSUPPORTED_OPERATION', problem: null },
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
