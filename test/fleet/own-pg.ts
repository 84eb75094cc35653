/**
 * A PostgreSQL server of the test's own (for tests that restart or stop it: the shared server
 * of scripts/with-postgres.sh serves other test files at the same time). Same recipe as the
 * script: initdb in a temp dir as the unprivileged `postgres` user when root, a random port,
 * the socket in the temp dir, trust auth on loopback. Binaries: MEDIC_TEST_PG_BIN.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface OwnPg {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function ownPostgres(): Promise<OwnPg> {
  const bin = process.env.MEDIC_TEST_PG_BIN;
  if (!bin) throw new Error('MEDIC_TEST_PG_BIN not set (run under scripts/with-postgres.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'medic-ownpg-'));
  const root = process.getuid?.() === 0;
  if (root) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), -1);
  const as = (cmd: string, args: string[]) =>
    root ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  const port = await freePort();
  await as('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`;
  const start = async () => {
    await as('pg_ctl', [
      '-D',
      join(dir, 'data'),
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      opts,
      'start',
    ]);
  };
  const stop = async () => {
    await as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
  };
  await start();
  await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'medic']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/medic`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
