/**
 * Opening a database file safely: the checks that turn every way a path can be unusable into
 * one clear StoreError (exit 2 at the CLI) instead of a raw SqliteError, a spin or a write into a
 * damaged file.
 *
 * - The parent directory is created one level at a time (`mkdirSync` recursive spins on some
 *   pseudo-filesystems such as /proc): fails at once when a level cannot be created.
 * - A path that is a directory, a file that cannot be opened read-write (read-only file or
 *   directory, immutable file, read-only filesystem) → UNUSABLE.
 * - An existing file is checked with `PRAGMA quick_check` before anything is written to it
 *   (not a database, truncated header, overwritten pages) → DAMAGED. quick_check reads every
 *   page once; its time grows with the file (docs/BENCHMARKS.md: per GB).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/** Creates `dir` and its missing parents without recursion in the kernel. */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (existsSync(d) && !statSync(d).isDirectory()) {
    throw new StoreError('UNUSABLE', `cannot create the database directory ${dir}: ${d} is not a directory.`);
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      throw new StoreError(
        'UNUSABLE',
        `cannot create the database directory ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} at ${m}). ` +
          'Point MEDIC_DB at a file in a writable directory.',
      );
    }
  }
}

/**
 * Refuses a path that exists but is not a regular file, and a file or directory medic cannot
 * write (read-only, immutable, read-only filesystem): SQLite would silently open it read-only
 * and every later commit would fail.
 */
export function assertFilePath(path: string): void {
  const dir = dirname(path);
  const writable = (p: string) => {
    try {
      accessSync(p, constants.W_OK);
      return null;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? 'not writable';
    }
  };
  const dirProblem = writable(dir);
  if (dirProblem) {
    throw new StoreError(
      'UNUSABLE',
      `the database directory ${dir} is not writable (${dirProblem}); medic writes the database and its -wal and ` +
        '-shm files there. Check permissions, immutable flags (lsattr -d) and read-only mounts, or point MEDIC_DB elsewhere.',
    );
  }
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (!st.isFile()) {
    throw new StoreError(
      'UNUSABLE',
      `the database path ${path} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}. ` +
        'Point MEDIC_DB at a file (it is created when missing), or move what is there aside.',
    );
  }
  const fileProblem = writable(path);
  if (fileProblem) {
    throw new StoreError(
      'UNUSABLE',
      `the database ${path} is not writable (${fileProblem}). Check its permissions and immutable flag ` +
        '(lsattr; chattr -i), or point MEDIC_DB elsewhere.',
    );
  }
}

const DAMAGE_CODES = /^SQLITE_(NOTADB|CORRUPT)/;
const UNUSABLE_CODES = /^SQLITE_(CANTOPEN|READONLY|PERM|IOERR|AUTH|FULL)/;

/** Turns an error raised while opening/checking/migrating into a coded StoreError (or returns it as is). */
export function openError(path: string, err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const msg = (err as Error).message;
  if (DAMAGE_CODES.test(code)) return damaged(path, msg);
  if (UNUSABLE_CODES.test(code)) {
    return new StoreError(
      'UNUSABLE',
      `cannot open the database ${path} for writing (${code}: ${msg}). medic needs to write the file, its ` +
        '-wal and -shm files and its directory: check permissions, immutable flags (lsattr) and free space, or point ' +
        'MEDIC_DB elsewhere.',
    );
  }
  return err;
}

function damaged(path: string, what: string): StoreError {
  return new StoreError(
    'DAMAGED',
    `the database ${path} is damaged (${what}); medic refuses to write to it. Stop here: move the file aside ` +
      `together with its -wal and -shm files (mv ${path} ${path}.damaged), then restore the last backup ` +
      `(medic store backup) to ${path}, or start with an empty store (a new audit log). ` +
      '`medic store check` re-runs the check.',
  );
}

/** Runs `PRAGMA quick_check` and throws DAMAGED unless it answers ok. */
export function quickCheck(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw damaged(path, `quick_check: ${problems.join('; ')}`);
}
