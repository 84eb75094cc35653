/**
 * Fleet dependencies (issue 18): the current state of the services an agent watches on other
 * nodes (`node/name`), read for the ship reply with ONE cheap query (primary-key lookups in
 * fleet_services and nodes; the batch's own statement in ingest.ts stays as it is). Each answer
 * carries the state as its node last shipped it (null when the hub holds no such service), its
 * age on the hub's clock and the node silence beyond which it is stale; the agent judges it
 * (core/dependency.ts judgeRemote: unknown is not down).
 *
 * The age is the NODE's silence (`nodes.last_seen_at`, its last accepted batch), not the time the
 * view was last shipped: agents ship a view only when it changed (and all of them at every
 * handshake, after a failure and periodically: src/agent/shipper.ts), so a view unchanged for an
 * hour is current as long as its node reports, and turns stale when the node goes silent.
 */
import { sql } from 'drizzle-orm';
import type { RemoteState } from '../fleet/protocol.js';
import type { HubDb } from './db.js';

type Row = { id: string; state: { tag: string } | null; seen_at: string | null };

export async function remoteStates(
  db: HubDb,
  watch: readonly string[],
  now: number,
  silenceMs: number,
): Promise<RemoteState[]> {
  if (watch.length === 0) return [];
  const { rows } = await db.execute<Row>(sql`
SELECT w.id, s.view->'state' AS state, n.last_seen_at AS seen_at
FROM jsonb_array_elements_text(${JSON.stringify(watch)}::jsonb) AS w(id)
LEFT JOIN fleet_services s
  ON s.node = split_part(w.id, '/', 1) AND s.name = substr(w.id, strpos(w.id, '/') + 1)
LEFT JOIN nodes n ON n.name = s.node`);
  return rows.map((r) => ({
    id: r.id,
    state: r.state && typeof r.state.tag === 'string' ? r.state : null,
    ageMs: r.seen_at === null ? 0 : Math.max(0, now - Number(r.seen_at)),
    staleAfterMs: silenceMs,
  }));
}
