/**
 * Issue 11, defect 8: `medic store backup FILE` copies a live store consistently (SQLite online
 * backup) while another process keeps committing; `medic store check` answers 0 (ok), 1 (damaged)
 * or 2 (no readable store / invalid input).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/store/sqlite.js';
import { tempDir } from './helpers.js';

async function medic(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b) => {
    out += b;
  });
  stderr.on('data', (b) => {
    err += b;
  });
  const code = await main(args, { stdout, stderr, env, cwd: process.cwd() });
  return { code, out, err };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function writer(db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/store-writer.ts', db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('writing') && resolve(child));
    child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
  });
}

describe('medic store backup', () => {
  it('copies a store that another process is writing to: a consistent snapshot that passes integrity_check', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    openStore(db).close();
    await writer(db);
    await new Promise((r) => setTimeout(r, 300));
    const target = join(dir, 'backup.db');
    const r = await medic(['store', 'backup', target], { MEDIC_DB: db });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/backed up .* quick_check ok/);
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = copy.prepare('SELECT id FROM events ORDER BY id').pluck().all() as number[];
      expect(ids.length).toBeGreaterThan(50);
      // A snapshot: ids 1..N without a gap (each append is its own commit).
      expect(ids.at(-1)).toBe(ids.length);
      expect(ids[0]).toBe(1);
    } finally {
      copy.close();
    }
  }, 30_000);

  it('never overwrites an existing file, and needs exactly one FILE', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    openStore(db).close();
    const target = join(dir, 'exists.db');
    writeFileSync(target, 'keep me');
    expect((await medic(['store', 'backup', target], { MEDIC_DB: db })).code).toBe(2);
    expect(statSync(target).size).toBe(7);
    expect((await medic(['store', 'backup'], { MEDIC_DB: db })).code).toBe(2);
    expect((await medic(['store', 'backup', 'a.db', 'b.db'], { MEDIC_DB: db })).code).toBe(2);
  });
});

describe('medic store check', () => {
  it('exits 0 for a healthy store, 1 for a damaged one, 2 when there is no store', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const store = openStore(db);
    for (let i = 0; i < 300; i++) store.createToken(`t${i}`, 'viewer', `${i}`.padStart(64, '0'), i);
    store.close();
    const ok = await medic(['store', 'check'], { MEDIC_DB: db });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^ok: quick_check/);
    expect((await medic(['store', 'check', '--full'], { MEDIC_DB: db })).out).toMatch(/^ok: integrity_check/);

    const pages = statSync(db).size / 4096;
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(pages / 2) * 4096);
    closeSync(fd);
    const damaged = await medic(['store', 'check'], { MEDIC_DB: db });
    expect(damaged.code).toBe(1);
    expect(damaged.out).toMatch(/^damaged: /);

    const random = join(dir, 'random.db');
    writeFileSync(random, Buffer.alloc(8192, 0x42));
    expect((await medic(['store', 'check'], { MEDIC_DB: random })).code).toBe(1);

    const missing = await medic(['store', 'check'], { MEDIC_DB: join(dir, 'missing.db') });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no store at/);
  });
});
