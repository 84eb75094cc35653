/**
 * Commands down, against a real PostgreSQL and a hub over real HTTP, with an agent speaking the
 * real ship protocol: a hold issued at the hub is delivered in the node's ship reply (never to
 * another node), re-delivered until its result arrives, and the mutation answers with the
 * agent's result; a command its node does not pick up expires after its TTL with one audited
 * `command_expired` and is never delivered afterwards; roles and ambiguity are refused at the hub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { batch, gql, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const HOLD = `mutation($node: String, $name: String!) {
  holdService(node: $node, name: $name, ttlSec: 600, reason: "deploy") {
    __typename
    ... on PendingCommand { commandId node commandState message command { id node service state result { ok type state code } } }
    ... on Service { id node name state }
    ... on MutationError { code message }
    ... on AmbiguousError { nodes }
  }
}`;

describe.skipIf(skipPg)('commands down (real PostgreSQL)', () => {
  let hub: RunningHub;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const url = await freshDatabase();
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: url,
      MEDIC_PORT: '0',
      MEDIC_HUB_COMMAND_TTL_SEC: '2',
      MEDIC_HUB_COMMAND_WAIT_MS: '400',
      MEDIC_HUB_SWEEP_MS: '100',
      MEDIC_HUB_SILENCE_SEC: '3600',
    });
    hub = await startHub({ env, logger: createLogger('silent') });
    const db = hub.database.db;
    tokens.a = await createHubToken(db, 'agent-a', 'agent', 'node-a', 0);
    tokens.b = await createHubToken(db, 'agent-b', 'agent', 'node-b', 0);
    tokens.viewer = await createHubToken(db, 'grafana', 'viewer', null, 0);
    tokens.operator = await createHubToken(db, 'alice', 'operator', null, 0);
    tokens.admin = await createHubToken(db, 'root', 'admin', null, 0);
    expect(
      (
        await ship(
          hub.url,
          tokens.a!,
          batch('node-a', null, [], [view('api', 'healthy'), view('db', 'healthy')]),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await ship(
          hub.url,
          tokens.b!,
          batch('node-b', null, [], [view('api', 'healthy'), view('web', 'healthy')]),
        )
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const hubEvents = async (kinds: string[]) =>
    (
      await gql(
        hub.url,
        tokens.viewer!,
        'query($k: [String!]) { hubEvents(kinds: $k, first: 100) { kind node service actor data } }',
        { k: kinds },
      )
    ).data.hubEvents as {
      kind: string;
      node: string;
      service: string;
      actor: string;
      data: Record<string, unknown>;
    }[];

  it('delivers a hold to its node only, re-delivers it until the result, and answers with the result', async () => {
    // Nobody answers within the wait: the mutation says pending, with the command id.
    const issued = await gql(hub.url, tokens.operator!, HOLD, { node: 'node-b', name: 'web' });
    expect(issued.errors).toBeUndefined();
    expect(issued.data.holdService).toMatchObject({
      __typename: 'PendingCommand',
      command: { node: 'node-b', service: 'web', state: 'pending', result: null },
    });
    const id = issued.data.holdService.command.id as number;
    expect(issued.data.holdService.message).toBe(
      `command ${id} is pending: node node-b has not answered yet`,
    );

    // node-a's ship reply never carries node-b's command.
    expect((await ship(hub.url, tokens.a!, batch('node-a', 0))).body.commands).toEqual([]);
    // node-b gets it; the reply is "lost": it comes again on the next request.
    const first = await ship(hub.url, tokens.b!, batch('node-b', 0));
    expect(first.body.commands).toEqual([
      {
        id,
        service: 'web',
        operation: 'holdService',
        args: { ttlSec: 600 },
        actor: 'alice',
        role: 'operator',
        reason: 'deploy',
        expiresAt: expect.any(Number),
      },
    ]);
    expect((await ship(hub.url, tokens.b!, batch('node-b', 0))).body.commands?.map((c) => c.id)).toEqual([
      id,
    ]);
    expect((await gql(hub.url, tokens.viewer!, `{ command(id: ${id}) { state } }`)).data.command.state).toBe(
      'delivered',
    );

    // A result for this id from ANOTHER node changes nothing.
    const result = {
      id,
      at: Date.now(),
      ok: true,
      type: 'Service',
      code: null,
      message: null,
      state: 'held',
    };
    expect((await ship(hub.url, tokens.a!, batch('node-a', 0, [], [], [result]))).status).toBe(200);
    expect((await gql(hub.url, tokens.viewer!, `{ command(id: ${id}) { state } }`)).data.command.state).toBe(
      'delivered',
    );

    // node-b's result: done, no longer delivered; sending it again changes nothing.
    expect(
      (await ship(hub.url, tokens.b!, batch('node-b', 0, [], [view('web', 'held')], [result]))).body.commands,
    ).toEqual([]);
    expect((await ship(hub.url, tokens.b!, batch('node-b', 0, [], [], [result]))).status).toBe(200);
    const done = await gql(
      hub.url,
      tokens.viewer!,
      `{ command(id: ${id}) { state result { ok type state } } }`,
    );
    expect(done.data.command).toEqual({
      state: 'done',
      result: { ok: true, type: 'Service', state: 'held' },
    });
    const audited = (await hubEvents(['command_issued', 'command_result'])).filter(
      (e) => e.data.command === id,
    );
    expect(audited.map((e) => [e.kind, e.node, e.service, e.actor])).toEqual([
      ['command_issued', 'node-b', 'web', 'alice'],
      ['command_result', 'node-b', 'web', 'alice'],
    ]);
  });

  it('a mutation answered within the wait returns the agent result', async () => {
    const pending = gql(hub.url, tokens.operator!, HOLD.replace('ttlSec: 600', 'ttlSec: 60'), {
      node: 'node-a',
      name: 'db',
    });
    // Play the agent: poll until the command comes, answer at once.
    let cmd: { id: number } | undefined;
    await waitFor(
      async () => {
        cmd = (await ship(hub.url, tokens.a!, batch('node-a', 0))).body.commands?.[0];
        return cmd !== undefined;
      },
      5_000,
      20,
    );
    const result = {
      id: cmd!.id,
      at: Date.now(),
      ok: false,
      type: 'ConflictError',
      code: 'CONFLICT',
      message: 'already held',
      state: 'held',
    };
    await ship(hub.url, tokens.a!, batch('node-a', 0, [], [], [result]));
    const answer = await pending;
    // The hub waited 400 ms at most; under load the agent may have been slower: then it said pending.
    // Otherwise it answers what the agent's own mutation answered: its ConflictError.
    if (answer.data.holdService.__typename !== 'PendingCommand')
      expect(answer.data.holdService).toEqual({
        __typename: 'ConflictError',
        code: 'CONFLICT',
        message: 'already held',
      });
    const later = await gql(hub.url, tokens.viewer!, `{ command(id: ${cmd!.id}) { state result { code } } }`);
    expect(later.data.command).toEqual({ state: 'done', result: { code: 'CONFLICT' } });
  });

  it('expires a command its node does not pick up, audits command_expired once, and never delivers it late', async () => {
    const issued = await gql(
      hub.url,
      tokens.admin!,
      'mutation { forceRestart(node: "node-a", name: "api", reason: "stuck") { ... on PendingCommand { command { id state } } } }',
    );
    const id = issued.data.forceRestart.command.id as number;
    await waitFor(
      async () =>
        (await gql(hub.url, tokens.viewer!, `{ command(id: ${id}) { state } }`)).data.command.state ===
        'expired',
      10_000,
      100,
    );
    // Back online after the TTL: nothing to run.
    expect((await ship(hub.url, tokens.a!, batch('node-a', 0))).body.commands).toEqual([]);
    const expired = (await hubEvents(['command_expired'])).filter((e) => e.data.command === id);
    expect(expired).toEqual([
      {
        kind: 'command_expired',
        node: 'node-a',
        service: 'api',
        actor: 'root',
        data: expect.objectContaining({ command: id, operation: 'forceRestart', delivered: false }),
      },
    ]);
  });

  it('refuses by role, unknown services and ambiguous names at the hub, queuing nothing', async () => {
    const before = (await gql(hub.url, tokens.viewer!, '{ commands(first: 500) { id } }')).data.commands
      .length;
    const asViewer = await gql(hub.url, tokens.viewer!, HOLD, { node: 'node-a', name: 'api' });
    expect(asViewer.data.holdService).toMatchObject({ __typename: 'NotAllowedError', code: 'NOT_ALLOWED' });
    const force = await gql(
      hub.url,
      tokens.operator!,
      'mutation { forceRestart(node: "node-a", name: "api", reason: "x") { ... on NotAllowedError { code requiredRole } } }',
    );
    expect(force.data.forceRestart).toEqual({ code: 'NOT_ALLOWED', requiredRole: 'admin' });
    const unknown = await gql(hub.url, tokens.operator!, HOLD, { node: 'node-a', name: 'nope' });
    expect(unknown.data.holdService).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    // `api` runs on node-a and node-b: the node must be named.
    const ambiguous = await gql(hub.url, tokens.operator!, HOLD, { name: 'api' });
    expect(ambiguous.data.holdService).toMatchObject({
      __typename: 'AmbiguousError',
      code: 'AMBIGUOUS',
      nodes: ['node-a', 'node-b'],
    });
    expect(ambiguous.data.holdService.message).toContain('node-a, node-b');
    const blank = await gql(
      hub.url,
      tokens.operator!,
      'mutation { releaseService(node: "node-a", name: "api", reason: "  ") { ... on MutationError { code } } }',
    );
    expect(blank.data.releaseService).toEqual({ code: 'VALIDATION' });
    expect((await gql(hub.url, tokens.viewer!, '{ commands(first: 500) { id } }')).data.commands.length).toBe(
      before,
    );
    // A unique name needs no node.
    const unique = await gql(hub.url, tokens.operator!, HOLD, { name: 'web' });
    expect(unique.data.holdService).toMatchObject({
      __typename: 'PendingCommand',
      command: { node: 'node-b' },
    });
  });
});
