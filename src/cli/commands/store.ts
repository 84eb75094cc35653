/**
 * `medic store backup FILE`: a consistent copy of MEDIC_DB through SQLite's online backup API
 * (better-sqlite3 `db.backup`), safe while `medic serve` writes: the copy is one snapshot, written
 * beside FILE and renamed into place only after it passed `quick_check`. An existing FILE is
 * refused. `medic store check [--full]`: `PRAGMA quick_check` (`--full`: `integrity_check`) of
 * MEDIC_DB; it writes nothing. Exit codes: 0 ok; 1 the check found damage; 2 invalid input, or the
 * store cannot be opened or read. Recovery steps per failure: the runbook, "Store recovery".
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { loadEnv } from '../../config/env.js';
import { StoreError } from '../../store/errors.js';
import { openError } from '../../store/open.js';
import {
  type CliIo,
  type Command,
  EXIT_FINDING,
  EXIT_INVALID,
  EXIT_OK,
  noExtraArgs,
  parseFlags,
  UsageError,
  writeLine,
} from '../io.js';

const USAGE = 'usage: medic store backup FILE | medic store check [--full]';

/** Opens MEDIC_DB as it is: no migration, no pragma that writes; a missing file is an error. */
function openExisting(path: string): Database.Database {
  if (path === ':memory:')
    throw new UsageError('MEDIC_DB is :memory:; there is no store file to back up or check');
  if (!existsSync(path)) throw new StoreError('UNUSABLE', `no store at ${path} (set MEDIC_DB)`);
  if (!statSync(path).isFile())
    throw new StoreError('UNUSABLE', `the store path ${path} is not a regular file`);
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    throw openError(path, err);
  }
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** Problems reported by quick_check / integrity_check (empty when ok); SQLite's own refusal counts too. */
function check(db: Database.Database, full: boolean): string[] {
  try {
    const rows = db.pragma(full ? 'integrity_check(20)' : 'quick_check(20)') as Record<string, string>[];
    return rows.map((r) => Object.values(r)[0]!).filter((v) => v !== 'ok');
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) return [`${code}: ${(err as Error).message}`];
    throw err;
  }
}

async function backup(args: string[], io: CliIo, dbPath: string): Promise<number> {
  const { positionals } = parseFlags(args, {});
  if (positionals.length === 0) throw new UsageError(`backup needs a target FILE\n${USAGE}`);
  noExtraArgs(positionals, 1);
  const target = resolve(io.cwd, positionals[0]!);
  if (existsSync(target))
    throw new UsageError(`${target} exists; choose a new file (backups never overwrite)`);
  const source = openExisting(dbPath);
  const tmp = `${target}.partial-${process.pid}`;
  const started = performance.now();
  try {
    await source.backup(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw openError(dbPath, err);
  } finally {
    source.close();
  }
  const copy = new Database(tmp);
  let problems: string[];
  try {
    problems = check(copy, false);
  } finally {
    copy.close();
  }
  if (problems.length > 0) {
    rmSync(tmp, { force: true });
    writeLine(io.stderr, `medic store backup: the copy failed quick_check: ${problems.join('; ')}`);
    return EXIT_FINDING;
  }
  renameSync(tmp, target);
  const ms = Math.round(performance.now() - started);
  writeLine(
    io.stdout,
    `backed up ${dbPath} to ${target} (${mb(statSync(target).size)}, ${ms} ms, quick_check ok)`,
  );
  return EXIT_OK;
}

function checkCommand(args: string[], io: CliIo, dbPath: string): number {
  const { values, positionals } = parseFlags(args, { full: { type: 'boolean', default: false } });
  noExtraArgs(positionals);
  const db = openExisting(dbPath);
  const started = performance.now();
  let problems: string[];
  try {
    problems = check(db, values.full);
  } finally {
    db.close();
  }
  const ms = Math.round(performance.now() - started);
  const what = values.full ? 'integrity_check' : 'quick_check';
  if (problems.length === 0) {
    writeLine(io.stdout, `ok: ${what} of ${dbPath} passed (${mb(statSync(dbPath).size)}, ${ms} ms)`);
    return EXIT_OK;
  }
  writeLine(io.stdout, `damaged: ${what} of ${dbPath} found:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  writeLine(io.stderr, 'see the runbook, "Store recovery": move the file aside and restore the last backup');
  return EXIT_FINDING;
}

export const run: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const env = loadEnv(io.env);
  const dbPath = env.MEDIC_DB === ':memory:' ? ':memory:' : resolve(io.cwd, env.MEDIC_DB);
  if (sub === 'backup') return backup(rest, io, dbPath);
  if (sub === 'check') return checkCommand(rest, io, dbPath);
  writeLine(
    io.stderr,
    `medic store: ${sub ? `unknown subcommand '${sub}'` : 'missing subcommand'}\n${USAGE}`,
  );
  return EXIT_INVALID;
};
