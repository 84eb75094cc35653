/**
 * Real conda-layout environments in temp dirs (`conda-meta/history`, `bin/python` → this
 * machine's real python3) and an in-process CLI driver for the contract tests.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runMedic } from '../helpers/cli.js';

/** The real python3 binary (pyenv shims resolved through sys.executable). */
export const REAL_PYTHON = execFileSync(
  'python3',
  ['-c', 'import os,sys; print(os.path.realpath(sys.executable))'],
  {
    encoding: 'utf8',
  },
).trim();
export const REAL_PYTHON_VERSION = execFileSync(
  REAL_PYTHON,
  ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
  {
    encoding: 'utf8',
  },
).trim();
export const MAJOR_MINOR = REAL_PYTHON_VERSION.split('.').slice(0, 2).join('.');

export async function tempDir(prefix = 'medic-contract-'): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

/** `<root>/envs/<name>` with conda-meta/history and bin/python → real python3 (or a script). */
export async function makeCondaEnv(
  root: string,
  name: string,
  python: 'real' | 'script' = 'real',
): Promise<string> {
  const prefix = join(root, 'envs', name);
  await mkdir(join(prefix, 'conda-meta'), { recursive: true });
  await mkdir(join(prefix, 'bin'), { recursive: true });
  await writeFile(
    join(prefix, 'conda-meta', 'history'),
    `==> 2024-01-01 00:00:00 <==\n# cmd: conda create -n ${name} python\n`,
  );
  if (python === 'real') await symlink(REAL_PYTHON, join(prefix, 'bin', 'python'));
  else {
    await writeFile(join(prefix, 'bin', 'python'), `#!/bin/sh\nexec ${REAL_PYTHON} "$@"\n`);
    await chmod(join(prefix, 'bin', 'python'), 0o755);
  }
  return prefix;
}

/** Writes a contract (object → YAML, or raw text) as `<dir>/medic.yaml`. */
export async function writeContract(dir: string, doc: unknown): Promise<string> {
  const path = join(dir, 'medic.yaml');
  await writeFile(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `medic ARGS` in-process through main() (HOME kept from the test's environment). */
export async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = process.cwd(),
): Promise<CliResult> {
  const run = await runMedic(args, { env: { HOME: process.env.HOME, ...env }, cwd });
  return { code: run.code, stdout: run.out, stderr: run.err };
}
