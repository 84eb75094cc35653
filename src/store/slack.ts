/**
 * Slack bot state: incidents (parent message per service + episode) and the bot's event
 * cursor, so a restarted bot keeps threading into the same messages and catches up on events
 * committed while it was down. Drizzle only (parameterized).
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { botCursors, slackIncidents } from '../../db/schema.js';
import type { Drizzle } from './db.js';
import type { SlackIncidentRecord } from './types.js';

type Row = typeof slackIncidents.$inferSelect;

const toRecord = (r: Row): SlackIncidentRecord => ({
  key: r.key,
  slot: r.slot,
  service: r.service,
  channel: r.channel,
  ts: r.ts,
  openedAt: r.openedAt,
  closedAt: r.closedAt,
  lastEventId: r.lastEventId,
  data: (r.data ?? {}) as Record<string, unknown>,
});

export class SlackState {
  constructor(private readonly orm: Drizzle) {}

  upsert(rec: SlackIncidentRecord): SlackIncidentRecord {
    const { key, ...rest } = rec;
    const row = this.orm
      .insert(slackIncidents)
      .values({ key, ...rest })
      .onConflictDoUpdate({ target: slackIncidents.key, set: rest })
      .returning()
      .get();
    return toRecord(row);
  }

  open(): SlackIncidentRecord[] {
    return this.orm
      .select()
      .from(slackIncidents)
      .where(isNull(slackIncidents.closedAt))
      .orderBy(asc(slackIncidents.openedAt), asc(slackIncidents.key))
      .all()
      .map(toRecord);
  }

  close(key: string, at: number): boolean {
    const res = this.orm
      .update(slackIncidents)
      .set({ closedAt: at })
      .where(and(eq(slackIncidents.key, key), isNull(slackIncidents.closedAt)))
      .run();
    return res.changes > 0;
  }

  cursor(name: string): number | null {
    const row = this.orm.select().from(botCursors).where(eq(botCursors.name, name)).get();
    return row ? row.eventId : null;
  }

  advance(name: string, eventId: number, at: number): number {
    const row = this.orm
      .insert(botCursors)
      .values({ name, eventId, updatedAt: at })
      .onConflictDoUpdate({
        target: botCursors.name,
        set: {
          eventId: sql`max(${botCursors.eventId}, excluded.event_id)`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .returning()
      .get();
    return row.eventId;
  }
}
