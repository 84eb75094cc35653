/**
 * Deferred fsync for a burst of commits nothing acts on yet (serve's start-up, while effects
 * are held): `deferSync` switches the connection to `synchronous = NORMAL` — commits stay atomic
 * and consistent in the WAL, and survive a crash of medic, but are not fsynced one by one — and
 * returns the barrier. The barrier restores the configured level and fsyncs the WAL file once, so
 * when it returns every commit made meanwhile is as durable as a FULL commit (promise 4). Until
 * then an OS crash or power loss may drop those commits; the next start re-reads the units.
 *
 * With 500 services a first start commits one observation per service: 500 fsyncs one by one
 * (~0.4 s of the time to ready on this machine, docs/BENCHMARKS.md) become one.
 */
import { closeSync, existsSync, fsyncSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Synchronous } from './db.js';

export function deferSync(sqlite: Database.Database, path: string, configured: Synchronous): () => void {
  // Already NORMAL by configuration, or nothing on disk: nothing to defer.
  if (configured === 'normal' || path === ':memory:') return () => {};
  sqlite.pragma('synchronous = NORMAL');
  let done = false;
  return () => {
    if (done || !sqlite.open) return;
    done = true;
    sqlite.pragma('synchronous = FULL');
    // The WAL holds every frame committed since the switch (a checkpoint in between fsynced
    // what it copied). One fsync of the file makes them all durable.
    const wal = `${path}-wal`;
    if (!existsSync(wal)) return;
    const fd = openSync(wal, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
}
