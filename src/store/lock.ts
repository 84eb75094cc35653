/**
 * One `medic serve` per database FILE: `acquireLock(dbPath)` claims the `serve_instance` row
 * inside the database itself (docs/STORE.md "Single instance").
 *
 * Why a row and not a lock file: the row lives in the file, so every path that reaches the same
 * file — a symlink, a hard link, a bind mount, a relative path — sees the same holder, and
 * deleting side files cannot let a second instance in. The claim is one `BEGIN IMMEDIATE`
 * transaction (two contenders are serialized by SQLite's own lock): read the row; if its holder
 * is alive (instance.ts `holderAlive`: exact on the same machine via pid + boot id + process
 * start time, heartbeat age elsewhere) refuse with LockHeldError naming it; otherwise write self.
 * A holder killed with SIGKILL is dead at once by that check, so there is no stale lock to wait
 * out on one machine. A row copied along with the file (a backup restored elsewhere) names
 * another device/inode and is ignored. The claim is checkpointed into the main file at once: a
 * hard link has its own WAL name, so it only sees what is in the main file.
 *
 * The holder calls `heartbeat()` every few seconds (src/serve/store-watch.ts): it proves the
 * row is still its own and doubles as the store's periodic write probe (health).
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { systemClock } from '../clock/clock.js';
import { openDatabase } from './db.js';
import { StoreError } from './errors.js';
import { fileIdentity } from './health.js';
import { holderAlive, type InstanceRow, selfIdentity } from './instance.js';
import { openError } from './open.js';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** Last heartbeat (ISO), when known. */
  heartbeat?: string;
}

export interface StoreLock {
  readonly path: string;
  readonly owner: LockOwner;
  /**
   * Records a heartbeat (a small commit; with `probe`, first a 64 KiB one — more than a decision
   * writes — so a store recovering from a full disk is only called up when a decision would fit).
   * Throws the SQLite error when the write fails, or LockHeldError when the row no longer names
   * this process (another instance judged it dead).
   */
  heartbeat(at?: number, probe?: boolean): void;
  /** Releases the claim (idempotent). */
  release(): void;
}

export class LockHeldError extends StoreError {
  constructor(
    readonly dbPath: string,
    readonly holder: LockOwner | null,
  ) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}${holder.heartbeat ? `, last heartbeat ${holder.heartbeat}` : ''}`
      : 'a process (pid unknown)';
    super(
      'LOCKED',
      `another medic is already serving ${dbPath}: ${who} (the same database file, whichever path reaches it). ` +
        'Stop it first, or point MEDIC_DB at another file.',
    );
    this.name = 'LockHeldError';
  }
}

export interface LockOptions {
  /** A holder on another host / pid namespace is alive while its heartbeat is younger (default 30 s). */
  staleMs?: number;
  /** Wall time (default: the system clock's). */
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Takes the database for this process or throws LockHeldError naming the holder. ':memory:' needs none. */
export function acquireLock(dbPath: string, opts: LockOptions = {}): StoreLock {
  const now = opts.now ?? (() => systemClock.now());
  const startedAt = now();
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: iso(startedAt) };
  if (dbPath === ':memory:') return { path: dbPath, owner, heartbeat() {}, release() {} };
  // The store was opened (and checked) by the caller; this connection only claims and beats.
  const { sqlite } = openDatabase(dbPath, { check: false, synchronous: 'normal' });
  try {
    claim(sqlite, dbPath, startedAt, opts.staleMs ?? 30_000);
    // Into the main file at once: a contender reaching the file through a hard link reads the
    // main file with a WAL of its own name (SQLite names the WAL after the path), so the claim
    // must not wait in this path's WAL for the next checkpoint.
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    sqlite.close();
    throw openError(dbPath, err);
  }
  const self = selfIdentity();
  const beat = sqlite.prepare(
    'UPDATE serve_instance SET heartbeat_at = ?, probe = NULL WHERE id = 1 AND pid = ? AND proc_start = ? AND started_at = ?',
  );
  const probeWrite = sqlite.prepare(
    'UPDATE serve_instance SET probe = randomblob(65536) WHERE id = 1 AND pid = ?',
  );
  const drop = sqlite.prepare('DELETE FROM serve_instance WHERE id = 1 AND pid = ? AND started_at = ?');
  let held = true;
  return {
    path: dbPath,
    owner,
    heartbeat(at = now(), probe = false) {
      if (!held) return;
      if (probe) probeWrite.run(self.pid);
      if (beat.run(at, self.pid, self.procStart, startedAt).changes === 0) {
        throw new LockHeldError(dbPath, currentHolder(sqlite));
      }
    },
    release() {
      if (!held) return;
      held = false;
      try {
        drop.run(self.pid, startedAt);
      } catch {
        // A failing store cannot be cleaned up; the next claim sees this pid dead anyway.
      }
      sqlite.close();
    },
  };
}

function currentHolder(sqlite: Database.Database): LockOwner | null {
  const row = sqlite.prepare('SELECT * FROM serve_instance WHERE id = 1').get() as
    | Record<string, unknown>
    | undefined;
  return row ? toOwner(toRow(row)) : null;
}

const toRow = (r: Record<string, unknown>): InstanceRow => ({
  pid: Number(r.pid),
  host: String(r.host),
  bootId: String(r.boot_id),
  pidNs: String(r.pid_ns),
  procStart: String(r.proc_start),
  dev: String(r.dev),
  ino: String(r.ino),
  startedAt: Number(r.started_at),
  heartbeatAt: Number(r.heartbeat_at),
});

const toOwner = (r: InstanceRow): LockOwner => ({
  pid: r.pid,
  host: r.host,
  since: iso(r.startedAt),
  heartbeat: iso(r.heartbeatAt),
});

function claim(sqlite: Database.Database, dbPath: string, at: number, staleMs: number): void {
  const self = selfIdentity();
  const file = fileIdentity(dbPath) ?? { dev: '', ino: '' };
  sqlite
    .transaction(() => {
      const existing = sqlite.prepare('SELECT * FROM serve_instance WHERE id = 1').get() as
        | Record<string, unknown>
        | undefined;
      if (existing) {
        const row = toRow(existing);
        // A row copied with the file (backup, cp) belongs to the other file: not a holder here.
        const copied = row.host === self.host && (row.dev !== file.dev || row.ino !== file.ino);
        if (!copied && holderAlive(row, self, at, staleMs)) throw new LockHeldError(dbPath, toOwner(row));
      }
      sqlite
        .prepare(
          `INSERT INTO serve_instance (id, pid, host, boot_id, pid_ns, proc_start, dev, ino, started_at, heartbeat_at)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, boot_id = excluded.boot_id,
             pid_ns = excluded.pid_ns, proc_start = excluded.proc_start, dev = excluded.dev, ino = excluded.ino,
             started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
        )
        .run(self.pid, self.host, self.bootId, self.pidNs, self.procStart, file.dev, file.ino, at, at);
    })
    .immediate();
}
