/**
 * The hub's periodic work, on every replica (each step is exactly-once by construction, see
 * commands.ts and liveness.ts): expire commands past their TTL, mark silent nodes down. Runs on
 * the Clock's timers; a failing round (PostgreSQL away) is logged once per outage.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { expireCommands } from './commands.js';
import type { HubDb } from './db.js';
import { sweepLiveness } from './liveness.js';

export class Sweeper {
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly opts: { db: HubDb; clock: Clock; logger: Logger; intervalMs: number; silenceMs: number },
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
