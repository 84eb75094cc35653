/**
 * The audit log: append and read. There is deliberately no update or delete here (and the
 * database refuses both through triggers, migration 0001).
 */
import type Database from 'better-sqlite3';
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, type SQL, sql } from 'drizzle-orm';
import { events } from '../../db/schema.js';
import type { AuditEvent, NewEvent } from '../core/audit.js';
import type { Drizzle } from './db.js';
import type { EventQuery } from './types.js';

type EventRow = typeof events.$inferSelect;

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export function toAuditEvent(row: EventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    service: row.service,
    kind: row.kind as AuditEvent['kind'],
    decision: row.decision as AuditEvent['decision'],
    taken: row.taken,
    input: row.input as AuditEvent['input'],
    actor: row.actor,
    reason: row.reason,
    stateFrom: row.stateFrom as AuditEvent['stateFrom'],
    stateTo: row.stateTo as AuditEvent['stateTo'],
    counters: row.counters as AuditEvent['counters'],
    effects: (row.effects ?? []) as AuditEvent['effects'],
    mode: row.mode as AuditEvent['mode'],
    data: row.data as AuditEvent['data'],
  };
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const bool = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

/** Appends events with one prepared statement (the decision hot path uses it too). */
export class EventWriter {
  private readonly insert: Database.Statement;

  constructor(sqlite: Database.Database) {
    this.insert = sqlite.prepare(
      `INSERT INTO events (at, service, kind, decision, taken, input, actor, reason, state_from, state_to,
         counters, effects, mode, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  append(e: NewEvent): AuditEvent {
    const info = this.insert.run(
      e.at,
      e.service,
      e.kind,
      e.decision,
      bool(e.taken),
      json(e.input),
      e.actor,
      e.reason,
      e.stateFrom,
      e.stateTo,
      json(e.counters),
      JSON.stringify(e.effects ?? []),
      e.mode,
      json(e.data),
    );
    return { ...e, effects: e.effects ?? [], id: Number(info.lastInsertRowid) };
  }
}

/**
 * Reads the log with cursor pagination (ids are the cursor; see EventQuery). The queries run
 * on every restore, readiness probe and dashboard refresh are prepared once: building a drizzle
 * query costs ~0.3 ms of CPU, 150 ms at start with 500 services (docs/BENCHMARKS.md, scale).
 */
export class EventReader {
  private readonly lastDecisionQuery;
  private readonly newestQuery;

  constructor(private readonly orm: Drizzle) {
    this.lastDecisionQuery = orm
      .select()
      .from(events)
      .where(and(eq(events.service, sql.placeholder('service')), isNotNull(events.decision)))
      .orderBy(desc(events.id))
      .limit(1)
      .prepare();
    this.newestQuery = orm
      .select()
      .from(events)
      .orderBy(desc(events.id))
      .limit(sql.placeholder('limit'))
      .prepare();
  }

  list(q: EventQuery): { events: AuditEvent[]; hasMore: boolean } {
    const first = Math.min(Math.max(Math.trunc(q.first ?? DEFAULT_PAGE), 1), MAX_PAGE);
    const newestFirst = q.order === 'desc';
    if (
      newestFirst &&
      q.service === undefined &&
      q.kinds === undefined &&
      q.since === undefined &&
      q.after === undefined
    ) {
      const rows = this.newestQuery.all({ limit: first + 1 });
      return { events: rows.slice(0, first).map(toAuditEvent), hasMore: rows.length > first };
    }
    const conds: SQL[] = [];
    if (q.service !== undefined) conds.push(eq(events.service, q.service));
    if (q.kinds !== undefined) conds.push(inArray(events.kind, q.kinds));
    if (q.since !== undefined) conds.push(gte(events.at, q.since));
    if (q.after !== undefined) conds.push(newestFirst ? lt(events.id, q.after) : gt(events.id, q.after));
    const rows = this.orm
      .select()
      .from(events)
      .where(and(...conds))
      .orderBy(newestFirst ? desc(events.id) : asc(events.id))
      .limit(first + 1)
      .all();
    return { events: rows.slice(0, first).map(toAuditEvent), hasMore: rows.length > first };
  }

  get(id: number): AuditEvent | null {
    const row = this.orm.select().from(events).where(eq(events.id, id)).get();
    return row ? toAuditEvent(row) : null;
  }

  lastDecision(service: string): AuditEvent | null {
    const row = this.lastDecisionQuery.get({ service });
    return row ? toAuditEvent(row) : null;
  }
}
