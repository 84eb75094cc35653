/**
 * Feeds `recoveryEvents` (GraphQL subscription over SSE, in-process) into the tracker. If the
 * stream ends or fails it reconnects after `retryMs` (on medic's Clock) until stopped. Each time the stream opens,
 * `catchUp` runs first (events committed while disconnected, see catch-up.ts); live events
 * arriving meanwhile are held and delivered after it, in order (the tracker dedupes by id).
 * `ready` resolves once the first catch-up has handed its events over.
 */
import { systemClock } from '../../src/clock/clock.js';
import type { Clock, Timer } from '../../src/core/clock.js';
import type { Logger } from '../../src/log.js';
import { EVENTS_SUBSCRIPTION, parseEvent } from '../graphql/ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { GraphqlClient, MedicEvent } from '../types.js';

export interface EventFeed {
  stop(): Promise<void>;
  /** Resolves once the first subscription request was answered (events flow from then on). */
  ready: Promise<void>;
}

export function subscribeEvents(
  graphql: GraphqlClient,
  onEvent: (e: MedicEvent) => void,
  logger: Logger,
  retryMs = 1000,
  catchUp: () => Promise<void> = async () => {},
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
): EventFeed {
  let stopped = false;
  // The wait before reconnecting, on medic's clock; stop() cuts it short.
  let retry: { timer: Timer; wake: () => void } | null = null;
  const abort = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  if (!graphql.subscribe) {
    logger.warn('graphql client cannot subscribe; Slack incidents disabled');
    markReady();
    return { ready, stop: async () => {} };
  }
  const subscribe = graphql.subscribe;
  const loop = (async () => {
    while (!stopped) {
      // Live events are held while catching up (null: deliver directly).
      let held: MedicEvent[] | null = [];
      const onOpen = () => {
        catchUp()
          .catch((err: unknown) => logger.warn({ err }, 'slack catch-up failed; missed events not posted'))
          .finally(() => {
            const queue = held ?? [];
            held = null;
            for (const e of queue) onEvent(e);
            markReady();
          });
      };
      try {
        const it = subscribe(EVENTS_SUBSCRIPTION, {}, BOT_ACTOR, {
          onOpen,
          signal: abort.signal,
        })[Symbol.asyncIterator]();
        for (let r = await it.next(); !r.done; r = await it.next()) {
          const result = r.value as { data?: { recoveryEvents?: unknown }; errors?: unknown[] };
          if (result.errors?.length) logger.warn({ errors: result.errors }, 'recoveryEvents error');
          const event = parseEvent(result.data?.recoveryEvents);
          if (!event) continue;
          if (held) held.push(event);
          else onEvent(event);
        }
      } catch (err) {
        if (!stopped) logger.warn({ err }, 'recoveryEvents subscription failed; reconnecting');
      }
      if (!stopped) {
        await new Promise<void>((wake) => {
          retry = { timer: clock.setTimeout(wake, retryMs), wake };
        });
        retry = null;
      }
    }
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      abort.abort();
      if (retry) {
        clock.clearTimeout(retry.timer);
        retry.wake();
      }
      await loop;
    },
  };
}
