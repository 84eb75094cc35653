/**
 * One delivery attempt of an outbox row to its target, classified for the worker:
 * - `delivered`: 2xx (PagerDuty answers 202);
 * - `retry`: 429 (with its Retry-After), 408, 5xx, a network error or the timeout;
 * - `failed`: any other answer (PagerDuty's 400 "invalid event": retrying cannot help) or a
 *   target no longer configured.
 * The attempt's timeout runs on the Clock.
 */
import type { Clock } from '../core/clock.js';
import type { EscalationConfig } from './config.js';
import { type EscalationMessage, pagerDutyBody } from './message.js';
import { SIGNATURE_HEADER, signature, TIMESTAMP_HEADER } from './sign.js';

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status: number | null; retryAfter: string | null; error: string }
  | { kind: 'failed'; status: number | null; error: string };

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export async function sendOnce(
  target: string,
  message: EscalationMessage,
  config: EscalationConfig,
  clock: Clock,
  fetchFn: FetchLike = fetch,
): Promise<SendResult> {
  const req = request(target, message, config, clock);
  if (!req) return { kind: 'failed', status: null, error: `target ${target} is no longer configured` };
  const abort = new AbortController();
  const timer = clock.setTimeout(() => abort.abort(), config.retry.timeoutMs);
  try {
    const res = await fetchFn(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: abort.signal,
    });
    const text = await res.text().catch(() => '');
    if (res.ok) return { kind: 'delivered', status: res.status };
    const error = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      return { kind: 'retry', status: res.status, retryAfter: res.headers.get('retry-after'), error };
    }
    return { kind: 'failed', status: res.status, error };
  } catch (err) {
    const error = abort.signal.aborted
      ? `timed out after ${config.retry.timeoutMs} ms`
      : String((err as Error).message ?? err);
    return { kind: 'retry', status: null, retryAfter: null, error };
  } finally {
    clock.clearTimeout(timer);
  }
}

function request(
  target: string,
  m: EscalationMessage,
  c: EscalationConfig,
  clock: Clock,
): { url: string; headers: Record<string, string>; body: string } | null {
  if (target === 'pagerduty') {
    if (!c.pagerduty) return null;
    return {
      url: c.pagerduty.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pagerDutyBody(m, c.pagerduty.routingKey)),
    };
  }
  const hook = target.startsWith('webhook:')
    ? c.webhooks.find((w) => `webhook:${w.name}` === target)
    : undefined;
  if (!hook) return null;
  const body = JSON.stringify(m);
  const ts = Math.floor(clock.now() / 1000);
  return {
    url: hook.url,
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(ts),
      [SIGNATURE_HEADER]: signature(hook.secret, ts, body),
    },
    body,
  };
}
