import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError } from '../../src/store/lock.js';
import { tempDir } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts a process holding the lock; resolves once it says so. */
function holder(db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/store-lock-holder.ts', db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('locked') && resolve(child));
    child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
}

const killed = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    c.on('exit', () => resolve());
    c.kill('SIGKILL');
  });

/** The error acquireLock(path) throws (or null when it got the lock, which it then releases). */
function refusal(path: string): LockHeldError | null {
  try {
    acquireLock(path).release();
    return null;
  } catch (e) {
    if (e instanceof LockHeldError) return e;
    throw e;
  }
}

describe('store lock', () => {
  it('refuses a second holder in the same process, naming the pid, until released', () => {
    const db = join(tempDir(), 'medic.db');
    const lock = acquireLock(db);
    expect(() => acquireLock(db)).toThrow(LockHeldError);
    expect(() => acquireLock(db)).toThrow(new RegExp(`already serving .*pid ${process.pid}`));
    lock.release();
    lock.release(); // idempotent
    acquireLock(db).release();
  });

  it('refuses while another process holds it and names that process', async () => {
    const db = join(tempDir(), 'medic.db');
    const child = await holder(db);
    const error = refusal(db);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error!.code).toBe('LOCKED');
    expect(error!.holder?.pid).toBe(child.pid);
    expect(error!.message).toContain(`pid ${child.pid}`);
  });

  it('is free again as soon as the holder is killed with SIGKILL (no stale lock)', async () => {
    const db = join(tempDir(), 'medic.db');
    const child = await holder(db);
    await killed(child);
    // The dead holder's row is still in the database; it must not block the next process.
    const lock = acquireLock(db);
    expect(lock.owner.pid).toBe(process.pid);
    lock.release();
  });

  it('follows the file, not the path: symlink, hard link and relative paths are refused', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const child = await holder(db);
    const other = join(tempDir(), 'elsewhere');
    mkdirSync(other);
    symlinkSync(db, join(other, 'via-symlink.db'));
    linkSync(db, join(dir, 'hardlink.db'));
    for (const path of [
      join(other, 'via-symlink.db'),
      join(dir, 'hardlink.db'),
      relative(process.cwd(), db),
    ]) {
      const error = refusal(path);
      expect(error, path).toBeInstanceOf(LockHeldError);
      expect(error!.holder?.pid, path).toBe(child.pid);
    }
  });

  it('deleting every file beside the database does not let a second instance in', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const child = await holder(db);
    for (const f of readdirSync(dir)) if (f !== 'medic.db') rmSync(join(dir, f), { force: true });
    expect(refusal(db)?.holder?.pid).toBe(child.pid);
  });

  it.runIf(process.env.MEDIC_TEST_SYSTEMD === '1')(
    'a bind mount of the database directory is the same file (private mount namespace)',
    async () => {
      const db = join(tempDir(), 'medic.db');
      const child = await holder(db);
      const mnt = tempDir();
      execFileSync('mount', ['--bind', join(db, '..'), mnt]);
      try {
        expect(refusal(join(mnt, 'medic.db'))?.holder?.pid).toBe(child.pid);
      } finally {
        execFileSync('umount', [mnt]);
      }
    },
  );

  it('a copy of a held database (backup restored elsewhere) is another file and may be served', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const lock = acquireLock(db);
    try {
      const copy = join(tempDir(), 'copy.db');
      const raw = new Database(db);
      raw.prepare('VACUUM INTO ?').run(copy);
      raw.close();
      expect(existsSync(copy)).toBe(true);
      acquireLock(copy).release();
    } finally {
      lock.release();
    }
  });

  it('needs no lock for an in-memory store', () => {
    const a = acquireLock(':memory:');
    const b = acquireLock(':memory:');
    a.release();
    b.release();
  });
});
