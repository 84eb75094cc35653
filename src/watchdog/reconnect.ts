/**
 * Getting back to event-driven detection: while the watchdog polls although a bus address is
 * known (D-Bus unavailable at start, or the connection lost at run time — `daemon-reexec`, a
 * manager restart), it retries `SystemdConnection.open` with backoff: `initialDelayMs` (1 s),
 * doubling up to `maxDelayMs` (30 s). A successful connection goes to `connected`; if that throws
 * (e.g. the connection died while the units were read), the connection is closed and the retries
 * go on. Timers run on medic's Clock (never keeping the process alive) and are cleared by `stop()`.
 */
import { systemClock } from '../clock/clock.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log.js';
import { type BusTarget, SystemdConnection } from '../systemd/connection.js';

export interface ReconnectOptions {
  target: BusTarget;
  /** Takes the new connection over (starts D-Bus detection); a throw means "retry later". */
  connected(conn: SystemdConnection): Promise<void>;
  logger?: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How to open a connection (default `SystemdConnection.open`). */
  open?: (target: BusTarget) => Promise<SystemdConnection>;
  /** medic's clock (default: the system clock). */
  clock?: Clock;
}

export class Reconnector {
  private timer: Timer | null = null;
  private attempt: Promise<void> | null = null;
  private delayMs: number;
  private stopped = false;

  private readonly clock: Clock;

  constructor(private readonly opts: ReconnectOptions) {
    this.delayMs = opts.initialDelayMs ?? 1000;
    this.clock = opts.clock ?? systemClock;
  }

  /** Starts retrying; a no-op while a retry is already scheduled or running. */
  start(): void {
    if (this.stopped || this.timer || this.attempt) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.attempt = this.tryOnce().then((retry) => {
        this.attempt = null;
        if (retry) this.start();
      });
    }, this.delayMs);
  }

  /** One attempt; true when it failed and another one is due (after a doubled delay). */
  private async tryOnce(): Promise<boolean> {
    const { target, logger } = this.opts;
    let conn: SystemdConnection;
    try {
      conn = await (this.opts.open ?? SystemdConnection.open)(target);
    } catch (err) {
      logger?.debug({ address: target.address, err: (err as Error).message }, 'D-Bus reconnect failed');
      return this.backOff();
    }
    if (this.stopped) {
      conn.close();
      return false;
    }
    try {
      await this.opts.connected(conn);
      this.delayMs = this.opts.initialDelayMs ?? 1000;
      return false;
    } catch (err) {
      conn.close();
      logger?.warn({ address: target.address, err: (err as Error).message }, 'D-Bus reconnect failed');
      return this.backOff();
    }
  }

  private backOff(): true {
    this.delayMs = Math.min(this.delayMs * 2, this.opts.maxDelayMs ?? 30_000);
    return true;
  }

  /** Stops retrying; waits for an attempt in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
  }
}
