/**
 * Issue 11, defect 6: every expected start-up failure is ONE clear message on stderr and exit 2
 * — never a stack trace (LOG_LEVEL=debug may add it) and never exit 1, which a deploy gate reads
 * as "drift found". Real `node bin/medic.mjs` children, run side by side.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir, writeContract } from '../watchdog/helpers.js';

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
}

function medic(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'medic.mjs'), ...args], {
      env: { ...process.env, LOG_LEVEL: 'info', MEDIC_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // A case that wrongly starts serving is stopped (and then fails on its exit code).
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

const BOMB = `${['a: &a ["x","x","x","x","x","x","x","x","x"]']
  .concat(
    'bcdefgh'.split('').map((c, i) => {
      const prev = 'abcdefgh'[i];
      return `${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]`;
    }),
  )
  .join('\n')}\n`;

describe('start-up failures: one message, exit 2, no stack trace', () => {
  const dir = tempDir('startup');
  let contract: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    contract = writeContract({
      dir,
      kind: 'process',
      services: [
        { name: 'idle', unit: 'idle.service', command: ['python', '-c', 'import time; time.sleep(60)'] },
      ],
    });
    writeFileSync(join(dir, 'bomb.yaml'), BOMB);
    mkdirSync(join(dir, 'a-directory.yaml'));
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => busy.close());

  const db = (name: string) => ({ MEDIC_DB: join(dir, `${name}.db`) });

  it('for every case, side by side', async () => {
    const cases: Record<string, { args: string[]; env?: Record<string, string>; says: RegExp }> = {
      'port in use': {
        args: ['serve', '--contract', contract],
        env: { ...db('port'), MEDIC_HOST: '127.0.0.1', MEDIC_PORT: String(busyPort) },
        says: /cannot listen on 127\.0\.0\.1:\d+: the port is already in use/,
      },
      'MEDIC_HOST not an address of this machine': {
        // TEST-NET-1 (RFC 5737): never assigned to a local interface; binding fails, nothing is sent.
        args: ['serve', '--contract', contract],
        env: { ...db('host'), MEDIC_HOST: '192.0.2.1' },
        says: /cannot listen on 192\.0\.2\.1:0: the address is not one of this machine/,
      },
      'unreadable contract': {
        args: ['serve', '--contract', join(dir, 'a-directory.yaml')],
        env: db('unreadable'),
        says: /invalid contract .*cannot read/s,
      },
      'YAML alias bomb (serve)': {
        args: ['serve', '--contract', join(dir, 'bomb.yaml')],
        env: db('bomb'),
        says: /invalid contract .*alias/s,
      },
      'YAML alias bomb (contract check)': {
        args: ['contract', 'check', '--contract', join(dir, 'bomb.yaml')],
        says: /invalid contract .*alias/s,
      },
      'extra positional argument (serve)': {
        args: ['serve', 'foo', '--contract', contract],
        env: db('extra'),
        says: /too many arguments for 'serve'|unexpected argument: foo/,
      },
      'extra positional argument (contract check)': {
        args: ['contract', 'check', 'foo', '--contract', contract],
        says: /too many arguments for 'check'|unexpected argument: foo/,
      },
      'database path under /proc': {
        args: ['serve', '--contract', contract],
        env: { MEDIC_DB: '/proc/medic-test/medic.db' },
        says: /cannot create the database directory \/proc\/medic-test/,
      },
    };
    const runs = await Promise.all(Object.values(cases).map((c) => medic(c.args, c.env)));
    Object.keys(cases).forEach((name, i) => {
      const r = runs[i]!;
      const c = cases[name]!;
      expect({ name, code: r.code }).toEqual({ name, code: 2 });
      expect(r.stderr, name).toMatch(c.says);
      expect(r.stderr, name).not.toMatch(STACK);
      // One message: medic's own (`medic serve: …`) or commander's usage error (`error: …`).
      expect(r.stderr.trim().split('\n')[0], name).toMatch(/^(medic (serve|contract( check)?): |error: )/);
    });
  }, 90_000);

  it('LOG_LEVEL=debug adds the stack trace', async () => {
    const r = await medic(['serve', '--contract', contract], {
      MEDIC_DB: '/proc/medic-test/medic.db',
      LOG_LEVEL: 'debug',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(STACK);
  }, 30_000);
});
