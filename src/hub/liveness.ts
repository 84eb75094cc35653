/**
 * Watching the watchmen: a node whose last batch is older than the silence limit goes dark. The
 * sweep (every replica runs it) marks it with one UPDATE ... WHERE down_since IS NULL RETURNING,
 * so exactly one replica records the audited `node_down` per silence, however many run; the
 * node's next batch clears the mark and records `node_up` (ingest.ts). Both are hub events
 * (events.ts): subscriptions, Slack (slack.ts) and paging (issue 17) hook in there. A node whose
 * services were all inside a maintenance window carries it (`data.maintenance`,
 * core/node-maintenance.ts), so paging and Slack suppress or mark it.
 */
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { fleetServices, nodes } from '../../db/pg/schema.js';
import { nodeWindow, type ViewMaintenance } from '../core/node-maintenance.js';
import type { HubDb } from './db.js';
import { type HubEvent, recordHubEvent } from './events.js';

export async function sweepLiveness(db: HubDb, now: number, silenceMs: number): Promise<HubEvent[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(nodes)
      .set({ downSince: now })
      .where(and(isNull(nodes.downSince), lt(nodes.lastSeenAt, now - silenceMs)))
      .returning({ name: nodes.name, lastSeenAt: nodes.lastSeenAt, version: nodes.version });
    const events: HubEvent[] = [];
    for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
      const views = await tx
        .select({ window: sql<ViewMaintenance | null>`${fleetServices.view}->'maintenance'` })
        .from(fleetServices)
        .where(eq(fleetServices.node, row.name));
      const window = nodeWindow(
        views.map((v) => v.window),
        now,
      );
      events.push(
        await recordHubEvent(tx, {
          at: now,
          kind: 'node_down',
          node: row.name,
          service: null,
          actor: null,
          data: {
            lastSeenAt: row.lastSeenAt,
            silentForMs: now - row.lastSeenAt,
            silenceLimitMs: silenceMs,
            version: row.version,
            ...(window ? { maintenance: window } : {}),
          },
        }),
      );
    }
    return events;
  });
}
