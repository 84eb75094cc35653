/**
 * The newest events of many services in ONE query per GraphQL request. GraphQL resolves
 * `Service.events(first: N)` once per service — the status page's five events per card were one
 * query per card (100 per page through a pool of 10). Each call without a cursor, kinds or an
 * ascending order joins the request's batch for its `first`; the batch runs once the resolvers
 * called in the same turn have joined (after the microtasks then queued, as DataLoader does),
 * as one statement: a LATERAL read of the (node, service, event_id) index per service. Each
 * service gets the page `fleetEventPage` answers for it alone (same edges, cursors, pageInfo).
 * One instance per request (the GraphQL context), so nothing is cached across requests.
 */
import { sql } from 'drizzle-orm';
import { fleetEvents } from '../../db/pg/schema.js';
import type { EventPage } from '../api/schema/shared/event.js';
import type { HubDb } from './db.js';
import { eventPageOf, type FleetEventRow } from './fleet-events.js';

interface Key {
  node: string;
  service: string;
}

interface Batch {
  keys: Map<string, Key>;
  pages: Promise<Map<string, EventPage>>;
}

const keyOf = (node: string, service: string) => JSON.stringify([node, service]);

/** Resolves after the current turn's microtasks (and those they queue) have run. */
const afterTurn = () =>
  Promise.resolve().then(() => new Promise<void>((resolve) => process.nextTick(resolve)));

export class RecentEvents {
  private readonly open = new Map<number, Batch>();
  constructor(private readonly db: HubDb) {}

  /** The newest `first` events of `node/service`, newest first, read with the others of this turn. */
  async load(node: string, service: string, first: number): Promise<EventPage> {
    let batch = this.open.get(first);
    if (!batch) {
      const keys = new Map<string, Key>();
      const pages = afterTurn().then(() => {
        this.open.delete(first);
        return this.read([...keys.values()], first);
      });
      batch = { keys, pages };
      this.open.set(first, batch);
    }
    const key = keyOf(node, service);
    batch.keys.set(key, { node, service });
    const page = (await batch.pages).get(key);
    return page ?? eventPageOf([], first, false);
  }

  private async read(keys: Key[], first: number): Promise<Map<string, EventPage>> {
    const { rows } = await this.db.execute<{
      node: string;
      event_id: string;
      at: string;
      service: string;
      kind: string;
      event: unknown;
    }>(sql`
      SELECT e.node, e.event_id, e.at, e.service, e.kind, e.event
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(node text, service text)
      CROSS JOIN LATERAL (
        SELECT * FROM ${fleetEvents} f WHERE f.node = k.node AND f.service = k.service
        ORDER BY f.event_id DESC LIMIT ${first + 1}
      ) e`);
    const byKey = new Map<string, FleetEventRow[]>(keys.map((k) => [keyOf(k.node, k.service), []]));
    for (const r of rows)
      byKey.get(keyOf(r.node, r.service))?.push({ ...r, eventId: Number(r.event_id), at: Number(r.at) });
    return new Map([...byKey].map(([key, list]) => [key, eventPageOf(list, first, false)]));
  }
}
