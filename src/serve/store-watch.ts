/**
 * Keeps `medic serve` honest about its store (issue 11):
 * - every `checkMs` (1 s): the database path still names the opened file (health.verify);
 *   a deleted or replaced file marks the store LOST (no more writes, readiness 503) — medic
 *   then stops acting until an operator restarts it (docs/STORE.md, runbook "store-recovery");
 * - every `heartbeatMs` (5 s), and every check while failing: the instance heartbeat, a small
 *   commit that proves the claim is still ours and probes the disk, so a failing store is
 *   noticed without decisions and comes back to ready by itself once a commit succeeds. While
 *   failing, the heartbeat first commits 64 KiB (more than a decision): on a full disk a tiny
 *   write can still fit where a decision cannot, and must not call the store up.
 * Health changes are logged once each (error when failing or lost, info on recovery).
 */

import type { Clock, Timer } from '../core/clock.js';
import type { Readiness } from '../core/readiness.js';
import type { Logger } from '../log.js';
import type { StoreLock } from '../store/lock.js';
import type { Store } from '../store/types.js';

export interface StoreWatchOptions {
  store: Store;
  lock: StoreLock;
  logger: Logger;
  clock: Clock;
  checkMs?: number;
  heartbeatMs?: number;
}

export interface StoreWatch {
  readiness(): Readiness;
  stop(): void;
}

export function watchStore(opts: StoreWatchOptions): StoreWatch {
  const { store, lock } = opts;
  const log = opts.logger.child({ component: 'store' });
  const checkMs = opts.checkMs ?? 1000;
  const beatEvery = Math.max(1, Math.round((opts.heartbeatMs ?? 5000) / checkMs));
  const off = store.health.onChange((s, change) => {
    if (change === 'lost')
      log.error({ db: store.path }, `${s.lastError}: no effect runs without a durable record`);
    else if (change === 'failing')
      log.error(
        { db: store.path, err: s.lastError },
        `store failing: ${s.lastError}; no effect runs until a commit succeeds`,
      );
    else log.info({ db: store.path }, 'store recovered: commits succeed again');
  });
  let ticks = 0;
  let timer: Timer | null = null;
  let stopped = false;
  const tick = () => {
    ticks += 1;
    if (store.health.verify() && (!store.health.status().up || ticks % beatEvery === 0)) {
      try {
        lock.heartbeat(opts.clock.now(), !store.health.status().up);
        store.health.succeeded();
      } catch (err) {
        store.health.failed(err);
      }
    }
    if (!stopped) timer = opts.clock.setTimeout(tick, checkMs);
  };
  timer = opts.clock.setTimeout(tick, checkMs);
  return {
    readiness() {
      const reason = store.health.reason();
      return { ready: reason === null, reasons: reason ? [reason] : [], detection: null };
    },
    stop() {
      stopped = true;
      opts.clock.clearTimeout(timer);
      off();
    },
  };
}
