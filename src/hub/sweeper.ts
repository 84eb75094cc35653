/**
 * The hub's periodic work, on every replica (each step is exactly-once by construction, see
 * commands.ts and liveness.ts; the prune is safe concurrently, see budget-prune.ts): expire
 * commands past their TTL, mark silent nodes down, delete a batch of fleet budget lease rows that
 * can no longer count. Runs on the Clock's timers; a failing round (PostgreSQL away) is logged
 * once per outage; pruning is logged once per backlog drained (the count), not per round.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { PRUNE_BATCH, pruneLeases } from './budget-prune.js';
import { expireCommands } from './commands.js';
import type { HubDb } from './db.js';
import { sweepLiveness } from './liveness.js';

export class Sweeper {
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  /** Lease rows pruned since the last log line (a backlog takes several rounds). */
  private pruned = 0;

  constructor(
    private readonly opts: {
      db: HubDb;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
      silenceMs: number;
      /** Told how many lease rows each round pruned (`medic_budget_leases_pruned_total`). */
      onPruned?: (rows: number) => void;
    },
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.running;
  }

  /** One round now (tests). */
  async sweep(): Promise<void> {
    const { db, clock, silenceMs } = this.opts;
    const now = clock.now();
    await expireCommands(db, now);
    await sweepLiveness(db, now, silenceMs);
    const rows = await pruneLeases(db, now);
    if (rows > 0) this.opts.onPruned?.(rows);
    this.pruned += rows;
    // A full batch means more may wait: speak when the backlog is drained, once, with the count.
    if (rows < PRUNE_BATCH && this.pruned > 0) {
      this.opts.logger.info({ rows: this.pruned }, 'fleet budget lease rows pruned');
      this.pruned = 0;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.running = this.sweep()
        .then(() => {
          if (this.failures > 0) this.opts.logger.info({ failures: this.failures }, 'hub sweep works again');
          this.failures = 0;
        })
        .catch((err: Error) => {
          this.failures += 1;
          if (this.failures === 1) this.opts.logger.warn({ err: err.message }, 'hub sweep failed (retrying)');
        })
        .then(() => this.schedule());
    }, this.opts.intervalMs);
  }
}
