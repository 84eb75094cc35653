/**
 * Group commit for lease finishes (issue 16): the profile of the hub under the lease bench showed
 * its busy time mostly in the PostgreSQL client's socket writes — one round trip per statement —
 * and a finish was one statement (and one pool connection) per request. Here the first finish of
 * an idle replica goes at once; the finishes that arrive while its statement runs wait for it and
 * go together in the next one (up to `maxBatch`): one UPDATE for the batch (`endLeases`), each
 * request answered whether its lease was open. Idempotent as before (an ended or unknown id is
 * `false`); a failed statement fails every finish of its batch (the route answers 503 and the
 * agent sends it again, FINISH_RETRY).
 */
import type { Clock } from '../clock/clock.js';
import { endLeases } from './budget.js';
import type { HubDb } from './db.js';
import { type ServerTiming, timingNow } from './server-timing.js';

interface Pending {
  id: string;
  /** When it was queued (timingNow()), and where its stages go (Server-Timing). */
  at: number;
  timing: ServerTiming | undefined;
  resolve(ended: boolean): void;
  reject(err: unknown): void;
}

export class FinishBatcher {
  private queue: Pending[] | null = null;
  /** Statements run and finishes answered through them. */
  readonly stats = { batches: 0, finishes: 0 };

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly maxBatch = 500,
  ) {}

  /** Ends lease `id`; true when it was open. `timing` gets its `queue` and `tx` (the batch's UPDATE). */
  finish(id: string, timing?: ServerTiming): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const pending: Pending = { id, at: timingNow(), timing, resolve, reject };
      if (this.queue) {
        this.queue.push(pending);
        return;
      }
      this.queue = [pending];
      void this.drain(this.queue);
    });
  }

  private async drain(queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      const start = timingNow();
      for (const p of batch) p.timing?.add('queue', start - p.at);
      try {
        const ended = await endLeases(
          this.db,
          batch.map((p) => p.id),
          this.clock.now(),
        );
        const ms = timingNow() - start;
        for (const p of batch) p.timing?.add('tx', ms, `batch of ${batch.length}`);
        this.stats.batches++;
        this.stats.finishes += batch.length;
        // As one UPDATE each: the first finish of a lease ends it, a repeat in the batch did not.
        for (const p of batch) p.resolve(ended.delete(p.id));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.queue = null;
  }
}
