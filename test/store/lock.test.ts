import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
    let error: unknown;
    try {
      acquireLock(db);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).code).toBe('LOCKED');
    expect((error as LockHeldError).holder?.pid).toBe(child.pid);
    expect((error as Error).message).toContain(`pid ${child.pid}`);
  });

  it('is free again as soon as the holder is killed with SIGKILL (no stale lock)', async () => {
    const db = join(tempDir(), 'medic.db');
    const child = await holder(db);
    await killed(child);
    // The dead holder's owner file is still there; it must not block the next process.
    expect(existsSync(`${db}.lock.owner`)).toBe(true);
    const lock = acquireLock(db);
    expect(lock.owner.pid).toBe(process.pid);
    lock.release();
    expect(existsSync(`${db}.lock.owner`)).toBe(false);
  });

  it('needs no lock for an in-memory store', () => {
    const a = acquireLock(':memory:');
    const b = acquireLock(':memory:');
    a.release();
    b.release();
  });
});
