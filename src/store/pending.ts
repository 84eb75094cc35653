/**
 * Pending actions: single-use ids behind Slack buttons and runbook links. A claim is a
 * compare-and-set (one UPDATE guarded by `used_at IS NULL AND expires_at > at`), so of two
 * concurrent clicks exactly one wins, even across processes.
 */
import { and, asc, eq, gt, inArray, isNull, type SQL } from 'drizzle-orm';
import { pendingActions } from '../../db/schema.js';
import type { PendingAction, PendingActionKind } from '../core/pending.js';
import type { Drizzle } from './db.js';
import type { ClaimResult } from './types.js';

type Row = typeof pendingActions.$inferSelect;

const toAction = (r: Row): PendingAction => ({
  id: r.id,
  service: r.service,
  kind: r.kind as PendingActionKind,
  incident: r.incident,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  usedAt: r.usedAt,
  usedBy: r.usedBy,
});

export class PendingActions {
  constructor(private readonly orm: Drizzle) {}

  create(pa: Omit<PendingAction, 'usedAt' | 'usedBy'>): PendingAction {
    const row = this.orm
      .insert(pendingActions)
      .values({
        id: pa.id,
        service: pa.service,
        kind: pa.kind,
        incident: pa.incident,
        createdAt: pa.createdAt,
        expiresAt: pa.expiresAt,
      })
      .returning()
      .get();
    return toAction(row);
  }

  get(id: string): PendingAction | null {
    const row = this.orm.select().from(pendingActions).where(eq(pendingActions.id, id)).get();
    return row ? toAction(row) : null;
  }

  claim(id: string, actor: string, at: number): ClaimResult {
    const row = this.orm
      .update(pendingActions)
      .set({ usedAt: at, usedBy: actor })
      .where(and(eq(pendingActions.id, id), isNull(pendingActions.usedAt), gt(pendingActions.expiresAt, at)))
      .returning()
      .get();
    return row ? { ok: true, action: toAction(row) } : { ok: false, action: this.get(id) };
  }

  openFor(service: string, at: number): PendingAction[] {
    return this.orm
      .select()
      .from(pendingActions)
      .where(
        and(
          eq(pendingActions.service, service),
          isNull(pendingActions.usedAt),
          gt(pendingActions.expiresAt, at),
        ),
      )
      .orderBy(asc(pendingActions.createdAt), asc(pendingActions.id))
      .all()
      .map(toAction);
  }

  expire(service: string, at: number, kinds?: PendingActionKind[]): number {
    const conds: SQL[] = [
      eq(pendingActions.service, service),
      isNull(pendingActions.usedAt),
      gt(pendingActions.expiresAt, at),
    ];
    if (kinds !== undefined) conds.push(inArray(pendingActions.kind, kinds));
    return this.orm
      .update(pendingActions)
      .set({ expiresAt: at })
      .where(and(...conds))
      .run().changes;
  }
}
