/**
 * Opens the SQLite file with medic's pragmas and applies the committed drizzle migrations.
 *
 * Durability (promise 4): WAL journal. `synchronous` defaults to FULL: each commit fsyncs the
 * WAL, so a committed decision survives not only a SIGKILL of medic (NORMAL already does:
 * the WAL write reached the OS before COMMIT returned) but also an OS crash or power loss,
 * which under NORMAL may drop the last commits. medic commits a few decisions per second, so
 * the fsync costs little; `synchronous: 'normal'` is available for throughput-bound uses.
 *
 * Unusable or damaged files are refused with a coded StoreError before anything is written
 * (open.ts): the directory is created safely, an existing file passes `PRAGMA quick_check`.
 */
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../../db/schema.js';
import { PACKAGE_ROOT } from '../paths.js';
import { assertFilePath, ensureDir, openError, quickCheck } from './open.js';

export type Synchronous = 'normal' | 'full';

export interface DbOptions {
  synchronous?: Synchronous;
  /** How long a writer waits for another connection's lock (ms, default 5000). */
  busyTimeoutMs?: number;
  /** Run `PRAGMA quick_check` on an existing file before using it (default true). */
  check?: boolean;
}

export type Drizzle = BetterSQLite3Database<typeof schema>;

export const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'db', 'migrations');

/** Sets medic's pragmas on a connection (shared with the bench baseline). */
export function applyPragmas(db: Database.Database, opts: DbOptions = {}): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
  db.pragma('foreign_keys = ON');
}

/**
 * Creates the parent directory, opens, checks, sets pragmas, migrates. Throws StoreError
 * UNUSABLE / DAMAGED (with what to do) for a path medic cannot safely use.
 */
export function openDatabase(
  path: string,
  opts: DbOptions = {},
): { sqlite: Database.Database; orm: Drizzle } {
  if (path !== ':memory:') {
    ensureDir(dirname(path));
    assertFilePath(path);
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (err) {
    throw openError(path, err);
  }
  try {
    // Before any pragma that writes (journal_mode): a damaged file must not be touched.
    if (opts.check !== false && path !== ':memory:') quickCheck(sqlite, path);
    applyPragmas(sqlite, opts);
    const orm = drizzle(sqlite, { schema });
    migrate(orm, { migrationsFolder: MIGRATIONS_DIR });
    return { sqlite, orm };
  } catch (err) {
    sqlite.close();
    throw openError(path, err);
  }
}
