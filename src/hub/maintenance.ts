/**
 * The fleet's maintenance windows at the hub: what each node's agent last shipped (its
 * `maintenanceWindows`, stored in `nodes.maintenance` by ingest.ts), judged on the hub's clock:
 * `active` is from ≤ now < until; an ad hoc window whose end has passed is left out (as its
 * agent leaves it out). A contract window shows the span its agent last shipped: an agent ships
 * the next span once the current one ends, so a silent node's recurring window shows its last
 * known span (not active). With `service`, only nodes that run it (fleet_services) and only the
 * windows covering it.
 */
import { and, asc, eq } from 'drizzle-orm';
import { fleetServices, nodes } from '../../db/pg/schema.js';
import type { WindowView } from '../api/schema/shared/maintenance.js';
import { maintenanceSnapshotSchema } from '../fleet/maintenance.js';
import type { HubDb } from './db.js';

const at = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** One node's shipped windows as of `now` on the hub's clock. */
export function windowsAsOf(node: string, shipped: unknown, now: number): WindowView[] {
  // Validated when shipped; parsed again so a row of another version cannot break the query.
  const parsed = maintenanceSnapshotSchema.safeParse(shipped ?? []);
  if (!parsed.success) return [];
  const out: WindowView[] = [];
  for (const w of parsed.data) {
    const from = at(w.from);
    const until = at(w.until);
    if (w.source === 'adhoc' && until !== null && until <= now) continue;
    const active = from !== null && until !== null && from <= now && now < until;
    out.push({ ...w, node, active });
  }
  return out;
}

/** The windows of `node` (or of every node, by name), covering `service` when given. */
export async function fleetWindows(
  db: HubDb,
  q: { node?: string | null; service?: string | null },
  now: number,
): Promise<WindowView[]> {
  const rows = await db
    .select({ name: nodes.name, maintenance: nodes.maintenance })
    .from(nodes)
    .where(q.node ? eq(nodes.name, q.node) : undefined)
    .orderBy(asc(nodes.name));
  let running: Set<string> | null = null;
  if (q.service) {
    const found = await db
      .select({ node: fleetServices.node })
      .from(fleetServices)
      .where(and(eq(fleetServices.name, q.service), q.node ? eq(fleetServices.node, q.node) : undefined));
    running = new Set(found.map((r) => r.node));
  }
  return rows
    .filter((r) => running === null || running.has(r.name))
    .flatMap((r) => windowsAsOf(r.name, r.maintenance, now))
    .filter((w) => !q.service || w.services === null || w.services.includes(q.service));
}
