/**
 * Catch-up on (re)subscribe: hands the tracker every event committed after its cursor, oldest
 * first, read over GraphQL `events(after:, order: asc)` in pages of 500, before live events.
 * With no stored cursor (the bot's first start) it only records the newest event id: history
 * from before the bot existed is not posted. A failed read is logged and live delivery goes on.
 */
import type { Logger } from '../../src/log.js';
import { fetchEventsAfter, fetchNewestEventId } from '../graphql/ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { GraphqlFn } from '../types.js';
import type { IncidentTracker } from './tracker.js';

const PAGE = 500;

export async function catchUp(graphql: GraphqlFn, tracker: IncidentTracker, logger: Logger): Promise<void> {
  if (!tracker.hadCursor && tracker.lastEventId === 0) {
    await tracker.skipTo(await fetchNewestEventId(graphql, BOT_ACTOR));
    return;
  }
  let handed = 0;
  for (;;) {
    const page = await fetchEventsAfter(graphql, BOT_ACTOR, tracker.lastEventId, PAGE);
    for (const e of page.events) {
      void tracker.handle(e);
      handed++;
    }
    if (!page.hasNextPage || page.events.length === 0) break;
  }
  if (handed > 0)
    logger.info({ events: handed, upTo: tracker.lastEventId }, 'slack caught up on missed events');
}
