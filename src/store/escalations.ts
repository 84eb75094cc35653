/**
 * The escalation outbox (issue 17; delivered by src/escalation/deliver.ts). A step (trigger or
 * resolve) is written as one outbox row per target in ONE transaction with the service's episode
 * row and the planner's event cursor, so a crash either loses nothing (the planner re-reads the
 * events after its cursor on start) or has written everything (the worker delivers it). Rows are
 * delivered at least once; the dedup key makes a redelivery harmless at the receiver.
 */
import type Database from 'better-sqlite3';

export interface OutboxRow {
  id: number;
  /** `pagerduty` or `webhook:<name>`. */
  target: string;
  dedupKey: string;
  action: 'trigger' | 'resolve';
  /** The target-neutral message (src/escalation/message.ts), JSON. */
  message: Record<string, unknown>;
  createdAt: number;
  nextAttemptAt: number;
  attempts: number;
}

export interface Episode {
  service: string;
  dedupKey: string;
  trigger: string;
  openedAt: number;
  eventId: number;
}

export interface EscalationPlan {
  service: string;
  /** Opens (trigger) or closes (resolve) the service's episode. */
  action: 'trigger' | 'resolve';
  episode: Episode;
  rows: { target: string; message: Record<string, unknown> }[];
  at: number;
  /** Advance the planner's cursor to this event id in the same transaction (null: leave it). */
  cursor: number | null;
}

export const ESCALATION_CURSOR = 'escalation';

interface RawRow {
  id: number;
  target: string;
  dedup_key: string;
  action: 'trigger' | 'resolve';
  message: string;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
}

const toRow = (r: RawRow): OutboxRow => ({
  id: r.id,
  target: r.target,
  dedupKey: r.dedup_key,
  action: r.action,
  message: JSON.parse(r.message),
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  attempts: r.attempts,
});

export class EscalationOutbox {
  private readonly insertEpisode: Database.Statement;
  private readonly deleteEpisode: Database.Statement<[string]>;
  private readonly insertRow: Database.Statement;
  private readonly cursorStmt: Database.Statement<[string, number, number]>;
  private readonly episodesStmt: Database.Statement<[], Episode>;
  private readonly dueStmt: Database.Statement<[number, number], RawRow>;
  private readonly nextStmt: Database.Statement<[], { at: number | null }>;
  private readonly deliveredStmt: Database.Statement<[number, number]>;
  private readonly retryStmt: Database.Statement<[number, string, number]>;
  private readonly failedStmt: Database.Statement<[number, string, number]>;
  private readonly planTx: (p: EscalationPlan) => void;

  constructor(sqlite: Database.Database) {
    this.insertEpisode = sqlite.prepare(
      `INSERT INTO escalation_episodes (service, dedup_key, trigger, opened_at, event_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (service) DO NOTHING`,
    );
    this.deleteEpisode = sqlite.prepare('DELETE FROM escalation_episodes WHERE service = ?');
    this.insertRow = sqlite.prepare(
      `INSERT INTO escalation_outbox (target, dedup_key, action, message, created_at, next_attempt_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, 0)`,
    );
    this.cursorStmt = sqlite.prepare(
      `INSERT INTO bot_cursors (name, event_id, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET event_id = max(event_id, excluded.event_id), updated_at = excluded.updated_at`,
    );
    this.episodesStmt = sqlite.prepare(
      `SELECT service, dedup_key AS dedupKey, trigger, opened_at AS openedAt, event_id AS eventId
       FROM escalation_episodes ORDER BY service`,
    );
    // Due, and no earlier undelivered row for the same target and key (a resolve never overtakes its trigger).
    this.dueStmt = sqlite.prepare(
      `SELECT o.* FROM escalation_outbox o
       WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
         AND NOT EXISTS (SELECT 1 FROM escalation_outbox p WHERE p.target = o.target AND p.dedup_key = o.dedup_key
           AND p.id < o.id AND p.delivered_at IS NULL AND p.failed_at IS NULL)
       ORDER BY o.id LIMIT ?`,
    );
    // Of the rows not waiting behind an earlier one of their key (those are due once it settles).
    this.nextStmt = sqlite.prepare(
      `SELECT min(o.next_attempt_at) AS at FROM escalation_outbox o
       WHERE o.delivered_at IS NULL AND o.failed_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM escalation_outbox p WHERE p.target = o.target AND p.dedup_key = o.dedup_key
           AND p.id < o.id AND p.delivered_at IS NULL AND p.failed_at IS NULL)`,
    );
    this.deliveredStmt = sqlite.prepare(
      'UPDATE escalation_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?',
    );
    this.retryStmt = sqlite.prepare(
      'UPDATE escalation_outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?',
    );
    this.failedStmt = sqlite.prepare(
      'UPDATE escalation_outbox SET failed_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?',
    );
    const tx = sqlite.transaction((p: EscalationPlan) => {
      if (p.action === 'trigger') {
        const e = p.episode;
        this.insertEpisode.run(e.service, e.dedupKey, e.trigger, e.openedAt, e.eventId);
      } else {
        this.deleteEpisode.run(p.service);
      }
      for (const r of p.rows) {
        this.insertRow.run(r.target, p.episode.dedupKey, p.action, JSON.stringify(r.message), p.at, p.at);
      }
      if (p.cursor !== null) this.cursorStmt.run(ESCALATION_CURSOR, p.cursor, p.at);
    });
    this.planTx = (p) => tx.immediate(p);
  }

  plan(p: EscalationPlan): void {
    this.planTx(p);
  }
  episodes(): Episode[] {
    return this.episodesStmt.all();
  }
  due(now: number, limit = 20): OutboxRow[] {
    return this.dueStmt.all(now, limit).map(toRow);
  }
  /** The earliest next attempt of any pending row, or null when nothing is pending. */
  nextAttemptAt(): number | null {
    return this.nextStmt.get()?.at ?? null;
  }
  delivered(id: number, at: number): void {
    this.deliveredStmt.run(at, id);
  }
  retry(id: number, nextAt: number, error: string): void {
    this.retryStmt.run(nextAt, error, id);
  }
  failed(id: number, at: number, error: string): void {
    this.failedStmt.run(at, error, id);
  }
}
