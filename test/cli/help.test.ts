import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function runCli(args: string[]) {
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
  const code = await main(args, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, out, err };
}

describe('medic --help', () => {
  it.each([
    'serve',
    'demo',
    'contract',
    'policy',
    'runbook',
    'token',
    'install',
    'uninstall',
    'hub',
    'store',
  ])('prints the synopsis of `%s --help` and exits 0 without running it', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: medic ${name}`);
    expect(r.err).toBe('');
  });

  it('lists every command with no arguments and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    for (const name of ['serve', 'contract', 'policy', 'runbook', 'token']) expect(r.err).toContain(name);
  });

  it('refuses an unknown command with exit 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'frobnicate'");
  });

  it('medic --version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8'));
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });
});
