/**
 * Auth at the hub (real PostgreSQL): /graphql and /metrics need a hub token (viewer and up) —
 * none is 401, an agent token 403; only agent tokens may ship (an operator token is 403
 * WRONG_ROLE). `medic token create --role agent --node NAME` (MEDIC_HUB_DATABASE_URL set) makes an
 * agent token that ships for NAME; `list` shows roles and nodes; `revoke` shuts it out; an agent
 * token without --node, or without a hub database, is refused with exit 2 and nothing created.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../watchdog/helpers.js';
import { batch, gql, ship } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

async function cli(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b) => {
    out += b;
  });
  stderr.on('data', (b) => {
    err += b;
  });
  const code = await main(args, { stdout, stderr, env, clock: systemClock });
  return { code, out, err };
}

describe.skipIf(skipPg)('hub auth and tokens (real PostgreSQL)', () => {
  let hub: RunningHub;
  let url = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    url = await freshDatabase();
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: url, MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    tokens.viewer = await createHubToken(hub.database.db, 'grafana', 'viewer', null, 0);
    tokens.operator = await createHubToken(hub.database.db, 'alice', 'operator', null, 0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('guards /graphql and /metrics by role; only agent tokens ship', async () => {
    const created = await cli(['token', 'create', '--name', 'web-1', '--role', 'agent', '--node', 'web-1'], {
      MEDIC_HUB_DATABASE_URL: url,
    });
    expect(created.code).toBe(0);
    tokens.agent = created.out.trim().split('\n').at(-1)!;
    expect(tokens.agent).toMatch(/^medic_/);
    expect(created.err).toContain('role agent for node web-1');

    const none = await gql(hub.url, null, '{ nodes { name } }');
    expect(none.status).toBe(401);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const bogus = await gql(hub.url, 'medic_not-a-token', '{ nodes { name } }');
    expect(bogus.status).toBe(401);
    const asAgent = await gql(hub.url, tokens.agent, '{ nodes { name } }');
    expect(asAgent.status).toBe(403);
    expect(asAgent.errors?.[0]?.message).toContain('agent token');
    expect((await gql(hub.url, tokens.viewer!, '{ nodes { name } }')).status).toBe(200);

    const metrics = async (token?: string) =>
      (await fetch(`${hub.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} }))
        .status;
    expect(await metrics()).toBe(401);
    expect(await metrics(tokens.agent)).toBe(403);
    expect(await metrics(tokens.viewer)).toBe(200);

    expect((await ship(hub.url, tokens.agent, batch('web-1', null))).status).toBe(200);
    const asOperator = await ship(hub.url, tokens.operator!, batch('web-1', null));
    expect(asOperator.status).toBe(403);
    expect(asOperator.body.error?.code).toBe('WRONG_ROLE');
  });

  it('lists and revokes hub tokens from the CLI', async () => {
    const env = { MEDIC_HUB_DATABASE_URL: url };
    const created = await cli(
      ['token', 'create', '--name', 'db-1', '--role', 'agent', '--node', 'db-1'],
      env,
    );
    const secret = created.out.trim().split('\n').at(-1)!;
    const list = await cli(['token', 'list', '--json'], env);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.out) as {
      name: string;
      role: string;
      node: string | null;
      revokedAt: number | null;
    }[];
    expect(rows.find((r) => r.name === 'db-1')).toMatchObject({
      role: 'agent',
      node: 'db-1',
      revokedAt: null,
    });
    expect(rows.find((r) => r.name === 'grafana')).toMatchObject({ role: 'viewer', node: null });
    expect((await cli(['token', 'revoke', 'db-1'], env)).code).toBe(0);
    const refused = await ship(hub.url, secret, batch('db-1', null));
    expect(refused.status).toBe(401);
    expect((await cli(['token', 'revoke', 'db-1'], env)).code).toBe(2);
    // Names are never reused.
    expect((await cli(['token', 'create', '--name', 'db-1', '--role', 'viewer'], env)).code).toBe(2);
  });

  it('refuses an agent token without --node, --node on other roles, and agent tokens without a hub database', async () => {
    const env = { MEDIC_HUB_DATABASE_URL: url };
    const before = (await cli(['token', 'list', '--json'], env)).out;
    expect((await cli(['token', 'create', '--name', 'x1', '--role', 'agent'], env)).code).toBe(2);
    expect(
      (await cli(['token', 'create', '--name', 'x2', '--role', 'viewer', '--node', 'n'], env)).code,
    ).toBe(2);
    const local = await cli(['token', 'create', '--name', 'x3', '--role', 'agent', '--node', 'n'], {
      MEDIC_DB: `${tempDir('hub-token')}/medic.db`,
    });
    expect(local.code).toBe(2);
    expect(local.err).toContain('MEDIC_HUB_DATABASE_URL');
    expect((await cli(['token', 'list', '--json'], env)).out).toBe(before);
  });
});
