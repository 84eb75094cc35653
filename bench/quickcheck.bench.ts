/**
 * `npm run bench quickcheck`: how long `PRAGMA quick_check` (run by medic serve at every open,
 * src/store/open.ts) and `medic store check --full` (integrity_check) take per GB of store.
 *
 * Builds a store of MEDIC_BENCH_STORE_MB (default 1024) MB of realistic audit events (JSON of the
 * real columns, the real indexes) in a temp dir — bounded: it stops at that size and is deleted
 * afterwards — then times quick_check and integrity_check against a same-run baseline: reading
 * the file sequentially (1 MiB reads). The file is in the page cache (just written), so this is
 * the warm-cache figure; a cold start adds the disk's sequential read time for the file.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/store/db.js';
import { report } from './report.js';

const TARGET_MB = Number(process.env.MEDIC_BENCH_STORE_MB ?? 1024);

function build(path: string): void {
  openDatabase(path).sqlite.close(); // schema + migrations
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO events (at, service, kind, decision, taken, input, actor, reason, state_from, state_to, counters, effects, mode, data)
     VALUES (?, ?, 'restart_decided', 'restart', 1, ?, 'medic', ?, 'healthy', 'restarting', ?, ?, 'enforce', ?)`,
  );
  const input = JSON.stringify({ type: 'exited', code: 1 });
  const counters = JSON.stringify({
    restartsInWindow: 2,
    totalRestarts: 41,
    blockedAttempts: 3,
    circuitOpens: 1,
  });
  const effects = JSON.stringify([{ type: 'restart', initiator: 'auto' }]);
  const batch = db.transaction((from: number) => {
    for (let i = 0; i < 5000; i++) {
      const n = from + i;
      insert.run(
        1_700_000_000_000 + n * 1000,
        `svc-${n % 50}`,
        input,
        `exited with code 1 (failure ${n}); restart allowed by the gate`,
        counters,
        effects,
        JSON.stringify({ detail: 'x'.repeat(600), source: 'systemd', pid: n }),
      );
    }
  });
  for (let n = 0; ; n += 5000) {
    batch(n);
    if (n % 50_000 === 0) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      if (statSync(path).size >= TARGET_MB * 1048576) break;
    }
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-bench-qc-'));
  try {
    const path = join(dir, 'medic.db');
    const buildMs = timed(() => build(path));
    const gb = statSync(path).size / 1024 ** 3;
    console.log(
      `built ${(gb * 1024).toFixed(0)} MB in ${(buildMs / 1000).toFixed(1)} s (${dir}, deleted afterwards)`,
    );
    const readMs = timed(() => {
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(1048576);
      while (readSync(fd, buf, 0, buf.length, null) > 0);
      closeSync(fd);
    });
    const db = new Database(path, { readonly: true });
    const quickMs = timed(() => db.pragma('quick_check'));
    const fullMs = timed(() => db.pragma('integrity_check'));
    db.close();
    const baseline = { name: 'sequential read of the file', value: readMs / gb / 1000 };
    report({
      bench: 'quickcheck',
      metric: 'quick_check per GB (warm cache)',
      value: quickMs / gb / 1000,
      unit: 's',
      baseline,
    });
    report({
      bench: 'quickcheck',
      metric: 'integrity_check per GB (warm cache)',
      value: fullMs / gb / 1000,
      unit: 's',
      baseline,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
