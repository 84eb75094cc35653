/**
 * The outbox's retry schedule: exponential backoff with full jitter, and Retry-After.
 *
 * Written here rather than taken from a retry library on purpose: the schedule must be durable
 * (each attempt's time is a column of the outbox row, so a SIGKILL or a restart continues it),
 * while retry libraries (p-retry, exponential-backoff, async-retry) run an in-process loop that
 * a crash forgets. What remains is this formula.
 */

export interface RetryPolicy {
  /** Attempts before giving up (`escalation_failed`). */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  /** One HTTP attempt's timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseMs: 1000,
  maxMs: 5 * 60_000,
  timeoutMs: 10_000,
};

/**
 * Delay before attempt `attempts + 1` after `attempts` failed ones (≥ 1): a uniformly random
 * point in [cap/2, cap] with cap = min(base × 2^(attempts−1), max) ("equal jitter": replicas and
 * restarted medics spread out, yet never retry at once). `random` is in [0, 1).
 */
export function backoffMs(attempts: number, p: RetryPolicy, random: number): number {
  const cap = Math.min(p.baseMs * 2 ** Math.max(0, attempts - 1), p.maxMs);
  return Math.round(cap / 2 + (cap / 2) * random);
}

/**
 * A Retry-After header (delay-seconds or an HTTP date) in ms from `now`, or null when absent or
 * unreadable. Capped at one hour: a receiver cannot park medic's pages for longer.
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(0, ms), 3600_000);
}
