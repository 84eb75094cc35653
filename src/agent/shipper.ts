/**
 * The agent's hub shipper (issue 15): ships the committed audit events of the local SQLite store
 * to the hub, in id order, at least once, plus the current service views; an empty batch is the
 * heartbeat. The cursor is the hub's: the shipper starts by asking (an empty batch with `after`
 * null) and moves only to the cursor the hub confirms, so a lost reply re-sends (harmless: the
 * hub is idempotent on node + event id) and a hub outage resumes where the hub stopped: no gap,
 * no duplicate. Decisions never wait on it: it only reads the store, on its own timer.
 *
 * Speaks once per outage: the first failure is logged (warn), repeats are counted, the recovery
 * is logged with the count.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { AuditEvent } from '../core/audit.js';
import type { ServiceView } from '../core/view.js';
import { MAX_BATCH_EVENTS, type OutgoingBatch, SHIP_PATH } from '../fleet/protocol.js';
import type { Logger } from '../log.js';

export interface ShipperOptions {
  hubUrl: string;
  token: string;
  node: string;
  version: string | null;
  /** Committed events with id > after, oldest first (the store's listEvents). */
  readEvents(after: number, first: number): AuditEvent[];
  views(): ServiceView[];
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  batchSize?: number;
  /** Longest wait between attempts while the hub fails (default 16 intervals, at most 30 s). */
  maxBackoffMs?: number;
}

export interface ShipperStatus {
  cursor: number | null;
  connected: boolean;
  failures: number;
}

export class Shipper {
  private cursor: number | null = null;
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private readonly batchSize: number;

  constructor(private readonly opts: ShipperOptions) {
    this.batchSize = Math.min(opts.batchSize ?? 200, MAX_BATCH_EVENTS);
  }

  status(): ShipperStatus {
    return {
      cursor: this.cursor,
      connected: this.failures === 0 && this.cursor !== null,
      failures: this.failures,
    };
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops the timer and waits for a request in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.running = this.tick().then((next) => this.schedule(next));
    }, ms);
  }

  /** One round; returns the delay before the next. */
  private async tick(): Promise<number> {
    const { opts } = this;
    try {
      const events = this.cursor === null ? [] : opts.readEvents(this.cursor, this.batchSize);
      const reply = await this.send({
        node: opts.node,
        version: opts.version,
        after: this.cursor,
        events,
        services: opts.views(),
      });
      this.recovered();
      this.cursor = reply.cursor;
      // A full batch: more are waiting, ship them now.
      return events.length === this.batchSize ? 0 : opts.intervalMs;
    } catch (err) {
      return this.failed(err as Error);
    }
  }

  private async send(batch: OutgoingBatch): Promise<{ cursor: number }> {
    // A hub that accepts the connection but never answers must not stall shipping forever.
    const abort = new AbortController();
    const timer = this.opts.clock.setTimeout(() => abort.abort(new Error('no answer within 10 s')), 10_000);
    let res: Response;
    let body: { cursor?: number; error?: { code: string; message: string } } | null;
    try {
      res = await fetch(new URL(SHIP_PATH, this.opts.hubUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(batch),
        signal: abort.signal,
      });
      body = (await res.json().catch(() => null)) as typeof body;
    } finally {
      this.opts.clock.clearTimeout(timer);
    }
    if (res.ok && typeof body?.cursor === 'number') return { cursor: body.cursor };
    // The hub holds less than we thought (its database was restored): resume from its cursor.
    if (res.status === 409 && typeof body?.cursor === 'number') {
      this.opts.logger.warn(
        { cursor: body.cursor, after: batch.after },
        'hub cursor behind ours: re-shipping',
      );
      return { cursor: body.cursor };
    }
    throw new Error(
      `hub answered ${res.status}: ${body?.error?.code ?? ''} ${body?.error?.message ?? ''}`.trim(),
    );
  }

  private recovered(): void {
    if (this.failures > 0) {
      this.opts.logger.info({ failures: this.failures }, 'hub reachable again: shipping resumes');
    }
    this.failures = 0;
  }

  private failed(err: Error): number {
    this.failures += 1;
    if (this.failures === 1) {
      this.opts.logger.warn(
        { err: err.message },
        'cannot ship to the hub: retrying (decisions go on locally)',
      );
    }
    const backoff = this.opts.intervalMs * 2 ** Math.min(this.failures - 1, 10);
    return Math.min(backoff, this.opts.maxBackoffMs ?? Math.min(30_000, this.opts.intervalMs * 16));
  }
}
