/**
 * Fleet dependencies (issue 18): the current state of the services an agent watches on other
 * nodes (`node/name`), read for the ship reply with ONE cheap query (primary-key lookups in
 * fleet_services; the batch's own statement in ingest.ts stays as it is). Each answer carries the
 * state as its node last shipped it (null when the hub holds no such service), its age on the
 * hub's clock and the node silence beyond which it is stale; the agent judges it
 * (core/dependency.ts judgeRemote: unknown is not down).
 */
import { sql } from 'drizzle-orm';
import type { RemoteState } from '../fleet/protocol.js';
import type { HubDb } from './db.js';

type Row = { id: string; state: { tag: string } | null; updated_at: string | null };

export async function remoteStates(
  db: HubDb,
  watch: readonly string[],
  now: number,
  silenceMs: number,
): Promise<RemoteState[]> {
  if (watch.length === 0) return [];
  const { rows } = await db.execute<Row>(sql`
SELECT w.id, s.view->'state' AS state, s.updated_at
FROM jsonb_array_elements_text(${JSON.stringify(watch)}::jsonb) AS w(id)
LEFT JOIN fleet_services s
  ON s.node = split_part(w.id, '/', 1) AND s.name = substr(w.id, strpos(w.id, '/') + 1)`);
  return rows.map((r) => ({
    id: r.id,
    state: r.state && typeof r.state.tag === 'string' ? r.state : null,
    ageMs: r.updated_at === null ? 0 : Math.max(0, now - Number(r.updated_at)),
    staleAfterMs: silenceMs,
  }));
}
