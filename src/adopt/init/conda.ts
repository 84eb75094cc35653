/**
 * From an interpreter path to its conda environment: `<prefix>/bin/python…` where `<prefix>`
 * has `conda-meta/` (the mark of a conda environment), then root and env name from the prefix
 * (`<root>/envs/<env>`; a base env is its own root, env `base`; an env made with
 * `conda create -p DIR` keeps DIR as an explicit prefix).
 *
 * The path is recognised as the unit writes it first, so a symlinked root (`/opt/conda` →
 * `/opt/miniconda3`) stays spelled as the unit spells it (the drift check resolves symlinks);
 * only when that fails is the interpreter's realpath tried (e.g. `/usr/local/bin/shop-python` →
 * `/opt/conda/envs/shop/bin/python3.11`).
 */
import { posix } from 'node:path';
import { cleanPath } from '../../contract/normalize.js';
import type { CondaEnv, InitHost } from './types.js';

/** `python`, `python3`, `python3.11`: the names of a CPython interpreter. */
export const PYTHON_NAME = /^python(\d+(\.\d+)?)?$/;

const ENV_NAME_BAD = /[^A-Za-z0-9._+-]/g;

/** `<X>/bin/python…` → X; null for any other path. */
export function interpreterPrefix(path: string): string | null {
  const clean = cleanPath(path);
  if (!PYTHON_NAME.test(posix.basename(clean))) return null;
  const bin = posix.dirname(clean);
  if (posix.basename(bin) !== 'bin') return null;
  const prefix = posix.dirname(bin);
  return prefix === '/' ? null : prefix;
}

export async function isCondaPrefix(prefix: string, host: InitHost): Promise<boolean> {
  return host.isDir(`${prefix}/conda-meta`);
}

/** The conda prefix an interpreter lives in, as written or through its realpath; null if none. */
export async function findPrefix(
  interpreter: string,
  host: InitHost,
): Promise<{ prefix: string; viaRealpath: string | null } | null> {
  const written = interpreterPrefix(interpreter);
  if (written && (await isCondaPrefix(written, host))) return { prefix: written, viaRealpath: null };
  const real = await host.realpath(interpreter);
  const resolved = interpreterPrefix(real);
  if (resolved && (await isCondaPrefix(resolved, host))) return { prefix: resolved, viaRealpath: real };
  return null;
}

/** A conda root (base env) has `envs/`, `condabin/` or `bin/conda`. */
async function looksLikeRoot(prefix: string, host: InitHost): Promise<boolean> {
  return (
    (await host.isDir(`${prefix}/envs`)) ||
    (await host.isDir(`${prefix}/condabin`)) ||
    (await host.isExecutable(`${prefix}/bin/conda`))
  );
}

/**
 * Root, env name and whether the prefix must be written out. `rootHint` is the root of the
 * `conda` program a `conda run` unit uses (better than guessing for `-p` environments).
 */
export async function condaEnvOf(prefix: string, host: InitHost, rootHint?: string): Promise<CondaEnv> {
  const realPrefix = await host.realpath(prefix);
  const m = /^(.+)\/envs\/([A-Za-z0-9._+-]+)$/.exec(prefix);
  if (m && m[2] !== '.' && m[2] !== '..') {
    return {
      root: m[1]!,
      env: m[2]!,
      prefix,
      realPrefix,
      explicitPrefix: false,
      how: `${prefix} = <root>/envs/<env>`,
    };
  }
  if (await looksLikeRoot(prefix, host)) {
    return {
      root: prefix,
      env: 'base',
      prefix,
      realPrefix,
      explicitPrefix: true,
      how: `${prefix} is a conda root (base environment)`,
    };
  }
  const name = posix.basename(prefix).replace(ENV_NAME_BAD, '-').replace(/^\.+$/, 'env') || 'env';
  return {
    root: rootHint ?? posix.dirname(prefix),
    env: name,
    prefix,
    realPrefix,
    explicitPrefix: true,
    how: `${prefix} is an environment outside <root>/envs (conda create -p); the prefix is written out`,
  };
}
