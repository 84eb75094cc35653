/**
 * One `medic serve` per store: `acquireLock(dbPath)` takes an OS-level lock next to the DB.
 *
 * The lock is an exclusive SQLite lock (fcntl byte-range lock) held on `<db>.lock` by an
 * open, never-committed `BEGIN EXCLUSIVE`. The kernel drops it when the holder dies, however it
 * dies (SIGKILL included), so a stale lock cannot exist and pid reuse cannot fake a live
 * holder; there is nothing to "take over" — the next process simply gets the lock.
 * Who holds it is written to `<db>.lock.owner` (JSON: pid, host, since) for the refusal message.
 * Like SQLite itself, this relies on POSIX locks working on the filesystem (not some NFS setups).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface StoreLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Releases the lock (idempotent). */
  release(): void;
}

export class LockHeldError extends StoreError {
  constructor(
    readonly dbPath: string,
    readonly holder: LockOwner | null,
  ) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}`
      : 'a process (pid unknown)';
    super(
      'LOCKED',
      `another medic is already serving ${dbPath}: ${who}. Stop it first, or point MEDIC_DB at another file.`,
    );
    this.name = 'LockHeldError';
  }
}

function readOwner(ownerPath: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(ownerPath, 'utf8')) as LockOwner;
    return typeof v.pid === 'number' ? v : null;
  } catch {
    return null;
  }
}

/** Takes the lock or throws LockHeldError naming the holder. ':memory:' needs no lock. */
export function acquireLock(dbPath: string): StoreLock {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  if (dbPath === ':memory:') return { path: dbPath, owner, release() {} };
  const lockPath = `${dbPath}.lock`;
  const ownerPath = `${lockPath}.owner`;
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new LockHeldError(dbPath, readOwner(ownerPath));
    throw err;
  }
  // Written atomically (rename) so a contender never reads half a file.
  const tmp = `${ownerPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
  renameSync(tmp, ownerPath);
  let held = true;
  return {
    path: lockPath,
    owner,
    release() {
      if (!held) return;
      held = false;
      const current = readOwner(ownerPath);
      if (current?.pid === owner.pid && current.since === owner.since) rmSync(ownerPath, { force: true });
      db.close(); // closing rolls the open transaction back and drops the OS lock
    },
  };
}
