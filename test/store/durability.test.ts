/**
 * Deferred fsync (src/store/durability.ts), counted at the system-call level with strace: under
 * `deferSync` a burst of commits costs no fsync until the barrier, and the barrier fsyncs once;
 * at the configured FULL level every commit fsyncs. Counted between two marker writes of the
 * child, so opening and migrating the store are left out.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const COMMITS = 40;

/** fsync/fdatasync calls a child makes between its two markers while committing `count` events. */
async function fsyncs(mode: 'defer' | 'full', count: number): Promise<number> {
  const dir = tempDir();
  const trace = join(dir, 'trace');
  await run('strace', [
    '-f',
    '-qq',
    '-e',
    'trace=fsync,fdatasync,write',
    '-o',
    trace,
    process.execPath,
    '--import',
    'tsx',
    'test/fixtures/store-commits.ts',
    join(dir, 'medic.db'),
    mode,
    String(count),
  ]);
  const lines = readFileSync(trace, 'utf8').split('\n');
  const begin = lines.findIndex((l) => l.includes('medic-mark-begin'));
  const end = lines.findIndex((l) => l.includes('medic-mark-end'));
  if (begin < 0 || end < begin) throw new Error('markers not found in the strace output');
  return lines.slice(begin, end).filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
}

describe('deferred fsync for start-up bursts', () => {
  it('is installed where the tests run (CI installs strace)', () => {
    expect(() => execFileSync('strace', ['-V'])).not.toThrow();
  });

  it('commits a burst with one fsync at the barrier instead of one per commit', async () => {
    const full = await fsyncs('full', COMMITS);
    const deferred = await fsyncs('defer', COMMITS);
    expect(full).toBeGreaterThanOrEqual(COMMITS);
    // The barrier's one fsync of the WAL, and nothing per commit.
    expect(deferred).toBe(1);
  }, 180_000);

  it('restores synchronous = FULL at the barrier and keeps every commit readable', () => {
    const path = join(tempDir(), 'medic.db');
    const store = openStore(path);
    const sqlite = (store as unknown as { sqlite: import('better-sqlite3').Database }).sqlite;
    const barrier = store.deferSync();
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    barrier();
    barrier(); // a second call does nothing
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
    store.close();
  });

  it('changes nothing for a store configured with synchronous = normal', () => {
    const store = openStore(join(tempDir(), 'medic.db'), { synchronous: 'normal' });
    const sqlite = (store as unknown as { sqlite: import('better-sqlite3').Database }).sqlite;
    store.deferSync()();
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(1);
    store.close();
  });
});
