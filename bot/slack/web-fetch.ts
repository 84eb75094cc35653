/**
 * The transport of every Slack Web API call the bot makes (WebClient's `fetch` option, so it
 * covers chat.postMessage, chat.update, chat.postEphemeral, views.publish, ... alike):
 * - honours Slack's 429 + `Retry-After` per method: the method is paused for that long (later
 *   calls of it queue behind the pause) and the same request is sent again — a 429 means Slack
 *   did not process it, so nothing is lost and nothing is sent twice (the WebClient's own
 *   retries stay off: a timed-out call may have been delivered);
 * - reports each HTTP exchange as (method, outcome) for `medic_slack_api_calls_total`.
 */
import type { webApi } from '@slack/bolt';
import { systemClock } from '../../src/clock/clock.js';
import { type Clock, sleep as clockSleep } from '../../src/core/clock.js';

type FetchFunction = webApi.FetchFunction;

export type SlackCallOutcome = 'ok' | 'error' | 'rate_limited';

export interface SlackFetchOptions {
  onCall?: (method: string, outcome: SlackCallOutcome) => void;
  /** medic's clock: pauses are measured and waited on it (default: the system clock). */
  clock?: Clock;
  /** Overrides the clock's time source (monotonic ms). */
  now?: () => number;
  /** Overrides the clock's wait. */
  sleep?: (ms: number) => Promise<void>;
  /** 429 answers of one call waited out before giving up (default 10). */
  maxRateLimited?: number;
  /** The underlying fetch (default globalThis.fetch). */
  fetch?: FetchFunction;
}

export function slackFetch(opts: SlackFetchOptions = {}): FetchFunction {
  const clock = opts.clock ?? systemClock;
  const now = opts.now ?? (() => clock.monotonic());
  const sleep = opts.sleep ?? ((ms: number) => clockSleep(clock, ms));
  const send = opts.fetch ?? (globalThis.fetch as unknown as FetchFunction);
  const max = opts.maxRateLimited ?? 10;
  const pausedUntil = new Map<string, number>();
  return async (url, init) => {
    const method = /\/api\/([A-Za-z.]+)/.exec(String(url))?.[1] ?? 'unknown';
    for (let limited = 0; ; limited++) {
      const wait = (pausedUntil.get(method) ?? 0) - now();
      if (wait > 0) await sleep(wait);
      let res: Awaited<ReturnType<FetchFunction>>;
      try {
        res = await send(url, init);
      } catch (err) {
        opts.onCall?.(method, 'error');
        throw err;
      }
      if (res.status === 429 && limited < max) {
        const sec = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
        pausedUntil.set(method, now() + (Number.isFinite(sec) && sec > 0 ? sec : 1) * 1000);
        opts.onCall?.(method, 'rate_limited');
        continue;
      }
      opts.onCall?.(method, res.ok ? 'ok' : res.status === 429 ? 'rate_limited' : 'error');
      return res;
    }
  };
}
