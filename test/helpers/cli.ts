/**
 * `medic ARGS` in-process through main(), its output captured: the way tests run CLI commands
 * without a child process (exit code, stdout and stderr as text).
 */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface MedicRun {
  code: number;
  out: string;
  err: string;
}

export async function runMedic(
  args: string[],
  io: Partial<Pick<CliIo, 'env' | 'cwd' | 'signal' | 'clock'>> = {},
): Promise<MedicRun> {
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
  const code = await main(args, { env: {}, cwd: process.cwd(), ...io, stdout, stderr });
  return { code, out, err };
}

/**
 * A hub token made with `medic token create` against the hub's database (`env` names it):
 * an agent token for `node`, or a viewer token when `node` is null. Returns its secret.
 */
export async function hubTokenViaCli(
  env: Record<string, string>,
  name: string,
  node: string | null,
): Promise<string> {
  const role = node ? ['--role', 'agent', '--node', node] : ['--role', 'viewer'];
  const run = await runMedic(['token', 'create', '--name', name, ...role], { env });
  if (run.code !== 0) throw new Error(`medic token create exited ${run.code}: ${run.err}`);
  return run.out.trim().split('\n').at(-1)!;
}
