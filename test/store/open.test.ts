/**
 * Issue 11, defect 5: a store that cannot be used is refused at open with one coded error
 * (UNUSABLE / DAMAGED, a message saying what to do) and nothing is written to it; a path where
 * the directory cannot be created fails at once.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/sqlite.js';
import { tempDir } from './helpers.js';

function refusal(path: string): StoreError {
  try {
    openStore(path).close();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error(`openStore(${path}) succeeded`);
}

/** A store with some rows, closed (checkpointed into the main file). */
function populated(): string {
  const path = join(tempDir(), 'medic.db');
  const store = openStore(path);
  for (let i = 0; i < 300; i++)
    store.createToken(`t${i}`, 'viewer', createHash('sha256').update(`${i}`).digest('hex'), i);
  store.close();
  return path;
}

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('opening an unusable or damaged store', () => {
  it('refuses a file of random bytes as DAMAGED, saying what to do', () => {
    const path = join(tempDir(), 'medic.db');
    const fd = openSync(path, 'w');
    writeSync(fd, randomBytes(64 * 1024));
    closeSync(fd);
    const err = refusal(path);
    expect(err.code).toBe('DAMAGED');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/move the file aside/);
    expect(err.message).toMatch(/backup/);
  });

  it('refuses a store with overwritten pages before writing anything to it', () => {
    const path = populated();
    const pageSize = 4096;
    const pages = statSync(path).size / pageSize;
    expect(pages).toBeGreaterThan(6);
    const fd = openSync(path, 'r+');
    // Overwrite two pages in the middle (not the header page).
    writeSync(fd, randomBytes(2 * pageSize), 0, 2 * pageSize, Math.floor(pages / 2) * pageSize);
    closeSync(fd);
    const before = digest(path);
    const err = refusal(path);
    expect(err.code).toBe('DAMAGED');
    expect(err.message).toMatch(/quick_check|malformed/);
    expect(digest(path)).toBe(before);
  });

  it('refuses a truncated header', () => {
    const path = populated();
    truncateSync(path, 50);
    expect(refusal(path).code).toBe('DAMAGED');
  });

  it('refuses a path that is a directory as UNUSABLE', () => {
    const path = join(tempDir(), 'medic.db');
    mkdirSync(path);
    const err = refusal(path);
    expect(err.code).toBe('UNUSABLE');
    expect(err.message).toContain('is a directory');
  });

  it('fails at once (well under a second) where the directory cannot be created, e.g. under /proc', () => {
    const started = performance.now();
    const err = refusal('/proc/medic-test/data/medic.db');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('UNUSABLE');
    expect(err.message).toContain('/proc/medic-test');
  });

  it('refuses a file that cannot be written (immutable) as UNUSABLE, when the filesystem supports chattr', (ctx) => {
    const path = join(tempDir(), 'medic.db');
    openStore(path).close();
    if (spawnSync('chattr', ['+i', path]).status !== 0)
      ctx.skip('chattr +i not supported on the temp filesystem');
    try {
      const err = refusal(path);
      expect(err.code).toBe('UNUSABLE');
      expect(err.message).toContain(path);
    } finally {
      execFileSync('chattr', ['-i', path]);
    }
  });
});
