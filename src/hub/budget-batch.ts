/**
 * Group commit for lease requests (issue 16). The first request of an idle replica goes at once;
 * the requests that arrive while its transaction runs — of any group — wait for it and go
 * together in the next one (up to `maxBatch`), each group's in arrival order
 * (src/hub/budget-tx.ts: one transaction, five round trips, whatever the batch holds). So the
 * replica runs one lease transaction at a time: a request waits at most for the transaction
 * before its own. (Measured before: one transaction at a time *per group* had 20 busy groups
 * queue for the pool's 10 connections and PostgreSQL's CPU; bench "Fleet budget, run 1".)
 * Other replicas serialise on the same row locks, so the limits hold across replicas as before.
 *
 * Between transactions the replica keeps each group's counting leases (budget-cache.ts), so a
 * transaction reads only what changed since the last.
 *
 * `maxBatch` 1 is the old hub's way, the bench's baseline: every request its own transaction at
 * once (as many at a time as the pool has connections), each reading its group in full.
 *
 * A failed transaction fails every request of its batch (the route answers 503 and the agents'
 * `onHubUnreachable` applies); the next batch starts afresh.
 */
import type { Clock } from '../clock/clock.js';
import type { BudgetLimits, LeaseAnswer, LeaseRequest } from '../fleet/budget.js';
import { LeaseCache } from './budget-cache.js';
import { arbitrateGroups, type BatchItem } from './budget-tx.js';
import type { HubDb } from './db.js';
import type { ServerTiming } from './server-timing.js';

interface Pending extends BatchItem {
  group: string;
  /** When it was queued (performance.now()), and where its stages go (Server-Timing). */
  at: number;
  timing: ServerTiming | undefined;
  resolve(answer: LeaseAnswer): void;
  reject(err: unknown): void;
}

export interface LeaseBatcherStats {
  /** Transactions run and requests answered through them (requests / batches = mean batch). */
  batches: number;
  requests: number;
}

export class LeaseBatcher {
  private queue: Pending[] | null = null;
  private readonly cache = new LeaseCache();
  readonly stats: LeaseBatcherStats = { batches: 0, requests: 0 };

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly maxBatch = 500,
  ) {}

  /** `timing` gets the request's `queue` (waiting for its batch) and `tx` (its batch's transaction). */
  request(
    group: string,
    limits: BudgetLimits,
    req: LeaseRequest,
    timing?: ServerTiming,
  ): Promise<LeaseAnswer> {
    return new Promise<LeaseAnswer>((resolve, reject) => {
      const pending: Pending = { group, limits, req, at: performance.now(), timing, resolve, reject };
      if (this.maxBatch === 1) return void this.run([pending]);
      if (this.queue) return void this.queue.push(pending);
      this.queue = [pending];
      void this.drain(this.queue);
    });
  }

  /** Runs batches until the queue is empty, then lets the next request start one at once. */
  private async drain(queue: Pending[]): Promise<void> {
    while (queue.length > 0) await this.run(queue.splice(0, this.maxBatch));
    this.queue = null;
  }

  /** One transaction for `batch`; answers (or fails) each of its requests. */
  private async run(batch: Pending[]): Promise<void> {
    const start = performance.now();
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      p.timing?.add('queue', start - p.at);
      const list = groups.get(p.group);
      if (list) list.push(p);
      else groups.set(p.group, [p]);
    }
    try {
      const cache = this.maxBatch === 1 ? undefined : this.cache;
      const answers = await arbitrateGroups(this.db, groups, this.clock, cache);
      const ms = performance.now() - start;
      this.stats.batches++;
      this.stats.requests += batch.length;
      for (const [group, list] of groups)
        for (const [i, p] of list.entries()) {
          p.timing?.add('tx', ms, `batch of ${batch.length}`);
          p.resolve(answers.get(group)![i]!);
        }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
