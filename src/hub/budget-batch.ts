/**
 * Group commit for lease requests (issue 16): a group's requests are arbitrated one transaction
 * at a time anyway (the group's row lock), so this replica sends them in batches. The first
 * request of an idle group goes at once; requests that arrive while its transaction runs wait
 * for it and go together in the next one (up to `maxBatch`), in arrival order. One transaction
 * per batch instead of per request: a group's throughput grows with its load instead of being
 * one request per transaction time. Other replicas still serialise on the same row lock, so the
 * limits hold across replicas exactly as before.
 *
 * A failed transaction fails every request of its batch (the route answers 503 and the agents'
 * `onHubUnreachable` applies); the next batch starts afresh.
 */
import type { Clock } from '../clock/clock.js';
import type { BudgetLimits, LeaseAnswer, LeaseRequest } from '../fleet/budget.js';
import { type BatchItem, requestLeases } from './budget.js';
import type { HubDb } from './db.js';
import type { ServerTiming } from './server-timing.js';

interface Pending extends BatchItem {
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
  private readonly queues = new Map<string, Pending[]>();
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
      const pending: Pending = { limits, req, at: performance.now(), timing, resolve, reject };
      const queue = this.queues.get(group);
      if (queue) {
        queue.push(pending);
        return;
      }
      const fresh = [pending];
      this.queues.set(group, fresh);
      void this.drain(group, fresh);
    });
  }

  /** Runs the group's batches until its queue is empty, then forgets the group. */
  private async drain(group: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      const start = performance.now();
      for (const p of batch) p.timing?.add('queue', start - p.at);
      try {
        const answers = await requestLeases(this.db, group, batch, this.clock);
        const ms = performance.now() - start;
        for (const p of batch) p.timing?.add('tx', ms, `batch of ${batch.length}`);
        this.stats.batches++;
        this.stats.requests += batch.length;
        for (const [i, p] of batch.entries()) p.resolve(answers[i]!);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.queues.delete(group);
  }
}
