import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/http/app.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createEngine } from '../../src/engine/engine.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import { cli, tempDir } from '../contract/helpers.js';
import { RecordingExecutor } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('medic token', () => {
  it('creates a token shown once on the last stdout line, stores only its hash, lists and revokes it', async () => {
    const db = join(await tempDir('medic-token-'), 'medic.db');
    const env = { MEDIC_DB: db };
    const created = await cli(['token', 'create', '--name', 'grafana', '--role', 'viewer'], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^medic_[A-Za-z0-9_-]{43}$/);

    // The secret is not in the database file, only its sha256.
    const store = openStore(db);
    cleanups.push(() => store.close());
    const raw = await new Promise<string>((resolve) =>
      execFile('sqlite3', [db, '.dump'], (err, out) => resolve(err ? '' : out)),
    );
    if (raw) expect(raw).not.toContain(token);

    // The token works against the API on the same store, with the viewer role.
    const clock = new SimulatedClock();
    const logger = createLogger('silent');
    const engine = await createEngine({
      store,
      services: [{ name: 'api', unit: 'api.service', policy: DEFAULT_POLICY }],
      executor: new RecordingExecutor(),
      clock,
      logger,
    });
    const app = createApp({ engine, store, logger, clock, publicUrl: 'http://x' });
    cleanups.unshift(async () => {
      await app.close();
      await engine.close();
    });
    const ask = () =>
      app.fetch(
        new Request('http://x/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: 'mutation { holdService(name: "api", ttlSec: 60, reason: "x") { __typename } }',
          }),
        }),
      );
    expect(await (await ask()).json()).toEqual({ data: { holdService: { __typename: 'NotAllowedError' } } });

    const listed = await cli(['token', 'list'], env);
    expect(listed.stdout).toMatch(/grafana\s+viewer/);
    const json = JSON.parse((await cli(['token', 'list', '--json'], env)).stdout);
    expect(json).toEqual([expect.objectContaining({ name: 'grafana', role: 'viewer', revokedAt: null })]);
    expect(JSON.stringify(json)).not.toContain(token);

    expect((await cli(['token', 'revoke', 'grafana'], env)).code).toBe(0);
    expect((await ask()).status).toBe(401);
    expect((await cli(['token', 'revoke', 'grafana'], env)).code).toBe(2);
  });

  it('rejects an unknown role, a bad name and a reused name with exit code 2', async () => {
    const env = { MEDIC_DB: join(await tempDir('medic-token-'), 'medic.db') };
    expect((await cli(['token', 'create', '--name', 'x', '--role', 'root'], env)).code).toBe(2);
    expect((await cli(['token', 'create', '--name', 'has space', '--role', 'admin'], env)).code).toBe(2);
    expect((await cli(['token', 'create', '--name', 'ci', '--role', 'operator'], env)).code).toBe(0);
    const again = await cli(['token', 'create', '--name', 'ci', '--role', 'operator'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect((await cli(['token'], env)).code).toBe(2);
  });
});
