/**
 * The audit log as the hub shipper sends it (issue 15): events with id > after, oldest first, at
 * most `first`, as ONE JSON array in UTF-8 bytes, made by SQLite's own JSON functions from the
 * stored columns in one statement. The bytes parse to exactly what
 * `JSON.stringify(listEvents(...).events)` would give (the same keys and values: `taken` a
 * boolean, `effects` [] when unset, the JSON columns embedded as JSON;
 * test/store/shipped-events.test.ts checks it by property), but no row becomes a JavaScript
 * object or string on the agent's event loop: parsing rows into objects and serialising them
 * again, and writing a large string body to the socket, were most of the shipper's cost per
 * event (docs/BENCHMARKS.md, "Fleet hub, run 7"). The bytes go into the request body as they are.
 */
import type Database from 'better-sqlite3';

/** One read: the events' JSON array (UTF-8), how many it holds and the last id (null: none). */
export interface ShippedEvents {
  json: Buffer;
  count: number;
  last: number | null;
}

/** Every AuditEvent field, in toAuditEvent's order (src/store/events.ts). */
const EVENT_JSON = `json_object(
  'id', id, 'at', at, 'service', service, 'kind', kind, 'decision', decision,
  'taken', CASE taken WHEN 1 THEN json('true') WHEN 0 THEN json('false') END,
  'input', json(input), 'actor', actor, 'reason', reason, 'stateFrom', state_from,
  'stateTo', state_to, 'counters', json(counters), 'effects', coalesce(json(effects), json('[]')),
  'mode', mode, 'data', json(data))`;

export class ShippedEventReader {
  private readonly page: Database.Statement<[number, number], [number, number | null, Buffer]>;

  constructor(sqlite: Database.Database) {
    // A BLOB comes back as a Buffer: the array is never a JavaScript string.
    this.page = sqlite
      .prepare<[number, number], [number, number | null, Buffer]>(
        `SELECT count(*), max(id),
           CAST('[' || coalesce(group_concat(ev, ',' ORDER BY id), '') || ']' AS BLOB)
         FROM (SELECT id, ${EVENT_JSON} AS ev FROM events WHERE id > ? ORDER BY id LIMIT ?)`,
      )
      .raw(true);
  }

  read(after: number, first: number): ShippedEvents {
    const [count, last, json] = this.page.get(after, Math.max(1, Math.trunc(first)))!;
    return { json, count, last };
  }
}
