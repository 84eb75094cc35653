/**
 * The outbox worker: delivers due rows one at a time, oldest first (a resolve never overtakes its
 * trigger: store/escalations.ts `due`), and keeps each row's schedule in the store:
 * - delivered → `delivered_at`, an `escalation_sent` audit event, outcome `delivered`;
 * - retryable → `next_attempt_at` = now + max(backoff with jitter, Retry-After), outcome `retried`
 *   (`rate_limited` for 429), until `maxAttempts`;
 * - permanent failure, or the bound reached → `failed_at`, an `escalation_failed` audit event,
 *   outcome `failed`.
 * Timers run on the Clock; a restart finds the pending rows and their times in the store.
 */
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log.js';
import type { OutboxRow } from '../store/escalations.js';
import { backoffMs, type RetryPolicy, retryAfterMs } from './backoff.js';
import type { EscalationConfig } from './config.js';
import type { EscalationMessage } from './message.js';
import { type FetchLike, type SendResult, sendOnce } from './send.js';

/** Pause after an unexpected failure (e.g. the store cannot record the outcome). */
const FAULT_PAUSE_MS = 5000;

export type DeliveryOutcome = 'delivered' | 'retried' | 'rate_limited' | 'failed';

export interface OutboxPort {
  due(now: number, limit?: number): OutboxRow[];
  nextAttemptAt(): number | null;
  delivered(id: number, at: number): void;
  retry(id: number, nextAt: number, error: string): void;
  failed(id: number, at: number, error: string): void;
}

export interface WorkerDeps {
  outbox: OutboxPort;
  config: EscalationConfig;
  clock: Clock;
  logger: Logger;
  /** Per attempt: medic_escalations_total{target, outcome}. */
  onOutcome?: (target: string, outcome: DeliveryOutcome) => void;
  /** Audit: delivered or given up (after the row is updated). */
  onSettled?: (row: OutboxRow, result: { ok: true } | { ok: false; error: string; attempts: number }) => void;
  fetch?: FetchLike;
  random?: () => number;
}

export class OutboxWorker {
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** The last pass ended on an unexpected error (store failing): wait before the next one. */
  private faulted = false;

  constructor(private readonly deps: WorkerDeps) {}

  /** Delivers what is due now (or soon after the current pass), then sleeps until the next due row. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      } else this.arm();
    });
  }

  /** Resolves once the current pass (if any) ended. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.idle();
  }

  private arm(): void {
    const { clock, outbox } = this.deps;
    clock.clearTimeout(this.timer);
    this.timer = null;
    const next = outbox.nextAttemptAt();
    if (next === null || this.stopped) return;
    const wait = Math.max(0, next - clock.now(), this.faulted ? FAULT_PAUSE_MS : 0);
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.kick();
    }, wait);
  }

  private async pass(): Promise<void> {
    const { outbox, clock, logger } = this.deps;
    for (;;) {
      if (this.stopped) return;
      const rows = outbox.due(clock.now(), 10);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.stopped) return;
        try {
          const result = await sendOnce(
            row.target,
            row.message as unknown as EscalationMessage,
            this.deps.config,
            clock,
            this.deps.fetch,
          );
          this.settle(row, result);
        } catch (err) {
          logger.error({ err, outboxId: row.id }, 'escalation delivery failed unexpectedly');
          this.faulted = true;
          return;
        }
        this.faulted = false;
      }
    }
  }

  private settle(row: OutboxRow, r: SendResult): void {
    const { outbox, clock, config, logger } = this.deps;
    const now = clock.now();
    const s = settlement(row.attempts, r, config.retry, now, (this.deps.random ?? Math.random)());
    const fields = {
      outboxId: row.id,
      target: row.target,
      dedupKey: row.dedupKey,
      action: row.action,
      attempts: s.attempts,
    };
    if (s.kind === 'delivered') {
      outbox.delivered(row.id, now);
      this.deps.onOutcome?.(row.target, 'delivered');
      logger.info(fields, `escalation ${row.action} delivered to ${row.target}`);
      this.deps.onSettled?.(row, { ok: true });
      return;
    }
    if (s.kind === 'retry') {
      outbox.retry(row.id, s.nextAt, s.error);
      this.deps.onOutcome?.(row.target, s.outcome);
      logger.warn(
        { ...fields, error: s.error, retryInMs: s.nextAt - now },
        `escalation to ${row.target}: retrying`,
      );
      return;
    }
    outbox.failed(row.id, now, s.error);
    this.deps.onOutcome?.(row.target, 'failed');
    logger.error({ ...fields, error: s.error }, `escalation to ${row.target} failed`);
    this.deps.onSettled?.(row, { ok: false, error: s.error, attempts: s.attempts });
  }
}

/** What becomes of an outbox row after one attempt (shared by the agent's and the hub's outbox). */
export type Settlement =
  | { kind: 'delivered'; attempts: number }
  | { kind: 'retry'; attempts: number; nextAt: number; outcome: 'retried' | 'rate_limited'; error: string }
  | { kind: 'failed'; attempts: number; error: string };

/**
 * The outbox's rule, pure: delivered; or retry at now + max(backoff with jitter, Retry-After)
 * while attempts < maxAttempts (a 429 counts as `rate_limited`); or failed (a permanent answer, or
 * the bound reached). `priorAttempts` is the row's count before this attempt; `random` in [0, 1).
 */
export function settlement(
  priorAttempts: number,
  r: SendResult,
  retry: RetryPolicy,
  now: number,
  random: number,
): Settlement {
  const attempts = priorAttempts + 1;
  if (r.kind === 'delivered') return { kind: 'delivered', attempts };
  if (r.kind === 'retry' && attempts < retry.maxAttempts) {
    const wait = Math.max(backoffMs(attempts, retry, random), retryAfterMs(r.retryAfter, now) ?? 0);
    return {
      kind: 'retry',
      attempts,
      nextAt: now + wait,
      outcome: r.status === 429 ? 'rate_limited' : 'retried',
      error: r.error,
    };
  }
  const error = r.kind === 'retry' ? `gave up after ${attempts} attempts: ${r.error}` : r.error;
  return { kind: 'failed', attempts, error };
}
