/**
 * Group commit for lease requests (issue 16). A request goes at once when one of the replica's
 * lanes (LANES, 2) is free and no lane is arbitrating its group; the requests that arrive
 * meanwhile — of any group — go together in the next batch (up to `maxBatch`), each group's in
 * arrival order (src/hub/budget-tx.ts: by default one read and one conditional write, with
 * `optimistic` false one locked transaction, whatever the batch holds). Optimistic lanes take disjoint
 * groups, so a replica never races itself for a group's version; other replicas' writes to a
 * group are conflicts the arbitration reads again for.
 *
 * Between batches the replica keeps each group's counting leases (budget-cache.ts), so a read
 * asks only for what changed since the last.
 *
 * `maxBatch` 1 is the old hub's way, the bench's baseline: every request its own transaction at
 * once (as many at a time as the pool has connections), locked, each reading its group in full.
 *
 * A failed arbitration fails every request of its batch (the route answers 503 and the agents'
 * `onHubUnreachable` applies); the next batch starts afresh.
 *
 * A request with a `deadline` (its agent's wait, src/hub/budget-expiry.ts) still queued when a
 * batch is taken after it is not arbitrated: it fails with `LeaseRequestExpired`.
 */
import type { Clock } from '../clock/clock.js';
import type { BudgetLimits, LeaseAnswer, LeaseRequest } from '../fleet/budget.js';
import { LeaseCache } from './budget-cache.js';
import { LeaseRequestExpired, takeExpired } from './budget-expiry.js';
import { arbitrateGroups, type BatchItem } from './budget-tx.js';
import type { HubDb } from './db.js';
import { type ServerTiming, timingNow } from './server-timing.js';

/**
 * Arbitrations a replica runs at once by default (MEDIC_HUB_BUDGET_LANES), on disjoint groups.
 * Two: while one waits for PostgreSQL, requests of the groups it does not hold start at once.
 */
const LANES = 2;

interface Pending extends BatchItem {
  group: string;
  /** When it was queued (timingNow()), and where its stages go (Server-Timing). */
  at: number;
  timing: ServerTiming | undefined;
  /** The Clock time after which its agent no longer waits (absent: an older agent's request). */
  deadline?: number;
  resolve(answer: LeaseAnswer): void;
  reject(err: unknown): void;
}

export interface LeaseBatcherStats {
  /** Transactions run and requests answered through them (requests / batches = mean batch). */
  batches: number;
  requests: number;
  /** Reads again after a conflict (another arbitration wrote the group first), and batches that went the locked way. */
  conflicts: number;
  locked: number;
  /** Groups of batches arbitrated from the replica's cache, without a read (budget-tx.ts). */
  cached: number;
}

export class LeaseBatcher {
  private readonly queue: Pending[] = [];
  private running = 0;
  /** The groups a lane is arbitrating now. */
  private readonly busy = new Set<string>();
  private readonly cache = new LeaseCache();
  readonly stats: LeaseBatcherStats = { batches: 0, requests: 0, conflicts: 0, locked: 0, cached: 0 };

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now'> & Partial<Pick<Clock, 'monotonic' | 'setTimeout'>>,
    private readonly maxBatch = 500,
    /** Transactions at once (see LANES). */
    private readonly lanes = LANES,
    /**
     * Optimistic arbitration (budget-tx.ts), lanes on disjoint groups; else every batch under
     * its groups' row locks, and two lanes may hold batches of one group (the second waits for
     * the first's locks in PostgreSQL).
     */
    private readonly optimistic = true,
    /**
     * The least time between the starts of two batches of one lane, ms (MEDIC_HUB_BUDGET_LEASE_GAP_MS):
     * a batch's statement costs about the same whatever its size, and without a gap a lane
     * starts its next batch as soon as one ends, so a faster statement came back as more,
     * smaller batches (i55, s9). A lane idle for the gap starts at once. 0: no gap.
     */
    private readonly minGapMs = 0,
  ) {
    if (minGapMs > 0 && (!clock.monotonic || !clock.setTimeout))
      throw new Error('a lease gap needs a Clock with monotonic() and setTimeout()');
  }

  /**
   * `timing` gets the request's `queue` (waiting for its batch) and `tx` (its batch's arbitration).
   * `deadline` (Clock time): not arbitrated when its batch is taken later (`LeaseRequestExpired`).
   */
  request(
    group: string,
    limits: BudgetLimits,
    req: LeaseRequest,
    timing?: ServerTiming,
    deadline?: number,
  ): Promise<LeaseAnswer> {
    return new Promise<LeaseAnswer>((resolve, reject) => {
      const pending: Pending = { group, limits, req, at: timingNow(), timing, resolve, reject };
      if (deadline !== undefined) pending.deadline = deadline;
      if (this.maxBatch === 1) return void this.run([pending]);
      this.queue.push(pending);
      if (this.running < this.lanes) void this.lane();
    });
  }

  /**
   * One lane: takes everything queued (up to maxBatch) whose group no other lane is arbitrating,
   * as a batch, until nothing is left for it. Two lanes never hold the same group, so a replica
   * never races itself for a group's version (budget-tx.ts): a group's batches go one after the
   * other, the requests that arrive meanwhile wait here for the next, not in PostgreSQL.
   */
  private async lane(): Promise<void> {
    this.running++;
    let started = Number.NEGATIVE_INFINITY;
    try {
      for (let batch = this.take(); batch.length > 0; batch = await this.paced(started)) {
        if (this.minGapMs > 0) started = this.clock.monotonic!();
        const mine = new Set(batch.map((p) => p.group));
        for (const g of mine) this.busy.add(g);
        try {
          await this.run(batch);
        } finally {
          for (const g of mine) this.busy.delete(g);
        }
      }
    } finally {
      this.running--;
    }
    // What is left in the queue belongs to groups another lane holds: that lane takes it next.
  }

  /**
   * Leases this replica's finishes ended (budget-finish-batch.ts): its cache takes them in, so an
   * arbitration without a read counts them as ended (budget-cache.ts).
   */
  ended(rows: readonly { id: string; group: string; endedAt: number }[]): void {
    this.cache.ended(rows);
  }

  /** The lane's next batch, `minGapMs` after its previous one `started` (monotonic ms). */
  private async paced(started: number): Promise<Pending[]> {
    const wait = this.minGapMs > 0 ? started + this.minGapMs - this.clock.monotonic!() : 0;
    // Nothing queued for this lane: it ends now rather than sleep (the next request starts one).
    if (wait > 0 && this.queue.some((p) => !(this.optimistic && this.busy.has(p.group))))
      await new Promise<void>((go) => this.clock.setTimeout!(go, wait));
    return this.take();
  }

  /** Removes from the queue, in order, up to maxBatch requests of groups no lane holds. */
  private take(): Pending[] {
    this.dropExpired();
    const batch: Pending[] = [];
    const left: Pending[] = [];
    for (const p of this.queue)
      if (batch.length < this.maxBatch && !(this.optimistic && this.busy.has(p.group))) batch.push(p);
      else left.push(p);
    this.queue.splice(0, this.queue.length, ...left);
    return batch;
  }

  /** Fails the queued requests whose agents have stopped waiting (budget-expiry.ts): never arbitrated. */
  private dropExpired(): void {
    const now = this.clock.now();
    for (const p of takeExpired(this.queue, now)) p.reject(new LeaseRequestExpired(now - p.deadline!));
  }

  /** One arbitration for `batch`; answers (or fails) each of its requests. */
  private async run(batch: Pending[]): Promise<void> {
    const start = timingNow();
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      p.timing?.add('queue', start - p.at);
      const list = groups.get(p.group);
      if (list) list.push(p);
      else groups.set(p.group, [p]);
    }
    try {
      const cache = this.maxBatch === 1 ? undefined : this.cache;
      // Each step's time summed over the batch's tries; `tries` is how many reads it took.
      const steps = new Map<string, number>();
      const answers = await arbitrateGroups(
        this.db,
        groups,
        this.clock,
        cache,
        (name, ms) => steps.set(name, (steps.get(name) ?? 0) + ms),
        this.maxBatch === 1 || !this.optimistic ? 'locked' : 'optimistic',
      );
      const tries = steps.get('tries') ?? 1;
      steps.delete('tries');
      this.stats.cached += steps.get('cached') ?? 0;
      steps.delete('cached');
      const ms = timingNow() - start;
      this.stats.batches++;
      this.stats.requests += batch.length;
      this.stats.conflicts += tries - 1;
      if (steps.has('lock')) this.stats.locked++;
      for (const [group, list] of groups)
        for (const [i, p] of list.entries()) {
          p.timing?.add('tx', ms, `batch of ${batch.length} tries ${tries}`);
          // The arbitration's steps (they add up to its `tx`), for whoever reads the header.
          for (const [name, stepMs] of steps) p.timing?.add(`tx-${name}`, stepMs);
          p.resolve(answers.get(group)![i]!);
        }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
