/**
 * Group commit for lease finishes (issue 16): one UPDATE (`endLeases`) ends a batch of leases,
 * each request answered whether its lease was open. Idempotent as before (an ended or unknown id
 * is `false`); a failed statement fails every finish of its batch (the route answers 503 and the
 * agent sends it again, FINISH_RETRY).
 *
 * When a statement goes: at most one runs at a time, and one starts no sooner than `minGapMs`
 * after the previous one started — so a replica sends at most 1000 / `minGapMs` finish statements
 * a second whatever the rate of finishes, and the finishes that arrive meanwhile (up to `maxBatch`)
 * go together in the next one. A finish arriving after a quiet spell (the last statement started
 * `minGapMs` ago or more) goes at once, as before: the gap costs a finish nothing at a low rate,
 * and at most `minGapMs` (half of it on average) at a high one — a finish is not on any lease's
 * answer path; it frees its slot that much later.
 */
import type { Clock } from '../clock/clock.js';
import { endLeases } from './budget.js';
import type { HubDb } from './db.js';
import { type ServerTiming, timingNow } from './server-timing.js';

/**
 * The least time between the starts of two finish statements of a replica, ms. Measured
 * (docs/BENCHMARKS.md "Fleet budget PostgreSQL per lease, run 11"): at 1,000 finishes/s each
 * statement went as soon as the previous one ended — 300–390 UPDATEs a second in the latency
 * bench, 3 finishes each — and a statement's fixed cost (protocol, transaction, the NOTIFY and its
 * listener's wake-up) outweighs its rows: in bench/fleet-budget-sql.ts' finish stream PostgreSQL
 * spent 97–120 µs of CPU per finish without a gap, 60–77 µs with 10 ms (98 statements/s), and
 * the hub's side of it went from 70–176 to 59–100 µs. 20 ms saved another 15–25 µs each, for a
 * finish twice as late: not taken.
 */
export const FINISH_GAP_MS = 10;

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
  /** When the last statement started (the clock's monotonic ms); -Infinity before the first. */
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Statements run and finishes answered through them. */
  readonly stats = { batches: 0, finishes: 0 };

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now' | 'monotonic' | 'setTimeout'>,
    private readonly maxBatch = 500,
    private readonly minGapMs = FINISH_GAP_MS,
    /** The leases a batch ended (the replica's lease cache takes them in: LeaseBatcher.ended). */
    private readonly onEnded: (rows: { id: string; group: string; endedAt: number }[]) => void = () => {},
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
      const wait = this.lastStart + this.minGapMs - this.clock.monotonic();
      if (wait > 0) await new Promise<void>((go) => this.clock.setTimeout(go, wait));
      this.lastStart = this.clock.monotonic();
      const batch = queue.splice(0, this.maxBatch);
      const start = timingNow();
      for (const p of batch) p.timing?.add('queue', start - p.at);
      try {
        const at = this.clock.now();
        const ended = await endLeases(
          this.db,
          batch.map((p) => p.id),
          at,
        );
        this.onEnded([...ended].map(([id, group]) => ({ id, group, endedAt: at })));
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
