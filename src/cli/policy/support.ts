/** What the `medic policy diff|apply|rollback|report` commands share: store, author, errors. */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { CandidateError } from '../../rollout/candidate.js';
import { openStore } from '../../store/sqlite.js';
import type { Store } from '../../store/types.js';
import { type CliIo, EXIT_INVALID, UsageError, writeLine } from '../io.js';

/** `--db PATH` wins over MEDIC_DB (default ./data/medic.db), relative to the working directory. */
export function openCliStore(db: string | undefined, io: CliIo): Store {
  const path = db ?? loadEnv(io.env).MEDIC_DB;
  return openStore(path === ':memory:' ? path : resolve(io.cwd, path));
}

/** `--author`, else `cli:<login name>` (from the passwd entry, not the environment). */
export function cliAuthor(flag: string | undefined): string {
  if (flag) return flag;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Prints a candidate's problems (every one, with its path) and returns exit code 2. */
export function reportCandidateError(err: unknown, io: CliIo, command: string): number {
  if (!(err instanceof CandidateError)) throw err;
  writeLine(io.stderr, `medic policy ${command}: ${err.message}`);
  return EXIT_INVALID;
}
