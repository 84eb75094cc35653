/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ through `prepare`, in a copy
 * of the checkout: test/helpers/pack.ts), then
 * `npm install -g --prefix DIR ./medic-<version>.tgz` into a temporary prefix, and the installed
 * `medic` run from outside the source tree: `--version`, `contract check`, and `serve` on a
 * store made by the first release's schema (migrated on start, its token kept).
 *
 * The install resolves dependencies through npm (from its cache when they are there:
 * --prefer-offline; otherwise the registry) and compiles better-sqlite3 when no prebuilt binary
 * can be fetched, so this file is slow: minutes on a busy machine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAJOR_MINOR, makeCondaEnv, tempDir } from '../contract/helpers.js';
import { freePort, waitHealthy } from '../helpers/adopt.js';
import { makeOldStore, OLD_TOKEN, storeShape } from '../helpers/old-store.js';
import { packInto, ROOT } from '../helpers/pack.js';

const run = promisify(execFile);
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const INSTALL_TIMEOUT = 25 * 60_000;

describe('the npm package (npm pack → npm install -g → medic)', () => {
  let dir: string;
  let tgz: string;
  let prefix: string;
  let medic: string;
  let env: Record<string, string | undefined>;
  let serve: ChildProcess | null = null;

  beforeAll(async () => {
    dir = await tempDir('medic-package-');
    tgz = await packInto(dir, INSTALL_TIMEOUT);
    prefix = join(dir, 'prefix');
    await run(
      'npm',
      ['install', '-g', '--prefix', prefix, tgz, '--prefer-offline', '--no-audit', '--no-fund'],
      {
        cwd: dir,
        timeout: INSTALL_TIMEOUT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    medic = join(prefix, 'bin', 'medic');
    env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME };
  }, INSTALL_TIMEOUT * 2);
  afterAll(() => {
    serve?.kill('SIGKILL');
  });

  it('holds the compiled dist/, the migrations and .env.example, and no TypeScript sources', async () => {
    const { stdout } = await run('tar', ['-tzf', tgz]);
    const files = stdout.split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('db/migrations/0000_init.sql');
    expect(files).toContain('db/migrations/meta/_journal.json');
    expect(files).toContain('.env.example');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false);
    const manifest = JSON.parse(await readFile(join(prefix, 'lib/node_modules/medic/package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
  });

  it('installs no dev dependency', async () => {
    const installed = new Set(await readdir(join(prefix, 'lib/node_modules/medic/node_modules')));
    const scoped = await readdir(join(prefix, 'lib/node_modules/medic/node_modules/@biomejs')).catch(
      () => [],
    );
    expect(scoped).toEqual([]);
    for (const dev of Object.keys(pkg.devDependencies).filter((d) => !d.startsWith('@'))) {
      expect(installed.has(dev), dev).toBe(false);
    }
  });

  it('medic --version prints the package version', async () => {
    const { stdout } = await run(medic, ['--version'], { cwd: dir, env });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('medic contract check and medic serve run from the installed package; serve migrates an old store', async () => {
    const conda = join(dir, 'conda');
    await makeCondaEnv(conda, 'shop');
    const contract = join(dir, 'contract.yaml');
    await writeFile(
      contract,
      [
        'version: 1',
        'supervisor: { kind: process }',
        `conda: { root: ${conda}, env: shop, python: "${MAJOR_MINOR}" }`,
        'services:',
        '  - name: sleeper',
        '    unit: sleeper.service',
        '    command: [python, -c, "import time; time.sleep(1e6)"]',
        '',
      ].join('\n'),
    );
    const check = await run(medic, ['contract', 'check', '--contract', contract], { cwd: dir, env });
    expect(check.stdout).toMatch(/no drift/i);

    const db = join(dir, 'old.db');
    await makeOldStore(db, 1);
    const port = await freePort();
    serve = spawn(medic, ['serve', '--contract', contract], {
      cwd: dir,
      env: { ...env, MEDIC_DB: db, MEDIC_PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await waitHealthy(`http://127.0.0.1:${port}/readyz`, 60_000);
    const gql = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OLD_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    expect(await gql.json()).toEqual({ data: { services: [{ name: 'sleeper' }] } });
    const exited = new Promise<number | null>((resolve) => serve!.once('exit', resolve));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    serve = null;
    const journal = JSON.parse(await readFile(join(ROOT, 'db/migrations/meta/_journal.json'), 'utf8'));
    expect(storeShape(db).migrations).toBe(journal.entries.length);
  });
});
