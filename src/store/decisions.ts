/**
 * Longer than ~200 lines on purpose: the whole hot path with its prepared statements in one place.
 *
 * The decision hot path: state + audit event + effect intents (+ holds) in ONE transaction,
 * with raw prepared statements (parameterized only). Nothing here runs an effect; the engine
 * executes effects after `commit` returned, so every executed effect has a committed intent.
 */
import type Database from 'better-sqlite3';
import type { Intent } from '../core/audit.js';
import type { Effect, ServiceState } from '../core/types.js';
import { StoreError } from './errors.js';
import type { EventWriter } from './events.js';
import type {
  CommitResult,
  DecisionCommit,
  HoldRecord,
  IntentRecord,
  StateClock,
  StateCommit,
  StoredService,
} from './types.js';

const OUTCOME_OF_INPUT: Record<string, string> = { restart_succeeded: 'succeeded', restart_failed: 'failed' };

interface IntentRow {
  id: number;
  service: string;
  event_id: number;
  effect: string;
  decided_at: number;
  outcome: string | null;
  completed_at: number | null;
}

const toIntent = (r: IntentRow): Intent => ({
  id: r.id,
  service: r.service,
  eventId: r.event_id,
  effect: JSON.parse(r.effect) as Effect,
  decidedAt: r.decided_at,
});

export class DecisionWriter {
  private readonly s: Record<string, Database.Statement>;
  private readonly tx: Database.Transaction<(c: DecisionCommit) => CommitResult>;
  private readonly stateTx: Database.Transaction<(c: StateCommit) => number>;

  constructor(
    sqlite: Database.Database,
    private readonly events: EventWriter,
  ) {
    const p = (sql: string) => sqlite.prepare(sql);
    this.s = {
      upsertService: p(
        `INSERT INTO services (name, unit) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET unit = excluded.unit WHERE unit <> excluded.unit`,
      ),
      insertState: p(
        `INSERT INTO service_state (service, state, policy_hash, updated_at, mono_at, mono_origin, version)
         VALUES (?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (service) DO NOTHING`,
      ),
      updateState: p(
        `UPDATE service_state SET state = ?, policy_hash = ?, updated_at = ?, mono_at = ?, mono_origin = ?,
           version = version + 1
         WHERE service = ? AND version = ?`,
      ),
      insertIntent: p(
        `INSERT INTO intents (service, event_id, effect, decided_at, outcome, completed_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      closeOldestRestart: p(
        `UPDATE intents SET outcome = ?, completed_at = ? WHERE id = (
           SELECT id FROM intents WHERE service = ? AND outcome IS NULL
             AND json_extract(effect, '$.type') = 'restart' ORDER BY id LIMIT 1)`,
      ),
      completeIntent: p('UPDATE intents SET outcome = ?, completed_at = ? WHERE id = ? AND outcome IS NULL'),
      releaseHolds: p(
        'UPDATE holds SET released_at = ?, released_by = ? WHERE service = ? AND released_at IS NULL',
      ),
      insertHold: p('INSERT INTO holds (service, actor, reason, set_at, until) VALUES (?, ?, ?, ?, ?)'),
    };
    this.tx = sqlite.transaction((c: DecisionCommit) => this.write(c));
    this.stateTx = sqlite.transaction((c: StateCommit) => {
      this.writeState(c.service, c.unit, c.prev, JSON.stringify(c.next), c.policyHash, c.at, c.clock);
      return c.prev + 1;
    });
  }

  /** The state alone (a counted repeat: no event, no effect). Returns the new version. */
  commitState(c: StateCommit): number {
    return this.stateTx.immediate(c);
  }

  private writeState(
    service: string,
    unit: string,
    prev: number,
    state: string,
    policyHash: string | null,
    at: number,
    clock: StateClock | undefined,
  ): void {
    const monoAt = clock?.monoAt ?? null;
    const monoOrigin = clock?.monoOrigin ?? null;
    if (prev === 0) {
      this.s.upsertService.run(service, unit);
      if (this.s.insertState.run(service, state, policyHash, at, monoAt, monoOrigin).changes !== 1) {
        throw new StoreError('CONFLICT', `state of ${service} was already stored (expected none)`);
      }
    } else if (
      this.s.updateState.run(state, policyHash, at, monoAt, monoOrigin, service, prev).changes !== 1
    ) {
      throw new StoreError('CONFLICT', `state of ${service} changed since version ${prev}`);
    }
  }

  commit(c: DecisionCommit): CommitResult {
    // IMMEDIATE: take the write lock before reading versions (a deferred upgrade can fail busy).
    return this.tx.immediate(c);
  }

  private write(c: DecisionCommit): CommitResult {
    const { service, event } = c;
    const at = event.at;
    this.writeState(service, c.unit, c.prev, JSON.stringify(c.next), c.policyHash, at, c.clock);
    const saved = this.events.append(event);
    const shadow = event.mode === 'shadow';
    const intents: Intent[] = c.effects.map((effect) => {
      const info = this.s.insertIntent.run(
        service,
        saved.id,
        JSON.stringify(effect),
        at,
        shadow ? 'shadow' : null,
        shadow ? at : null,
      );
      return { id: Number(info.lastInsertRowid), service, eventId: saved.id, effect, decidedAt: at };
    });
    const outcome = event.input ? OUTCOME_OF_INPUT[event.input.type] : undefined;
    if (outcome && c.intentId !== undefined) this.s.completeIntent.run(outcome, at, c.intentId);
    else if (outcome) this.s.closeOldestRestart.run(outcome, at, service);
    this.maintainHolds(c.next, event.decision, event.actor, service, at);
    return { event: saved, intents, version: c.prev + 1 };
  }

  private maintainHolds(
    next: ServiceState,
    decision: string | null,
    actor: string | null,
    service: string,
    at: number,
  ) {
    if (decision === 'hold_set' && next.tag === 'held') {
      // A new hold replaces the current one (renewal or change of owner).
      this.s.releaseHolds.run(at, next.actor, service);
      this.s.insertHold.run(service, next.actor, next.reason, next.setAt, next.until);
    } else if (decision === 'hold_released') {
      this.s.releaseHolds.run(at, actor ?? 'unknown', service);
    } else if (decision === 'hold_expired') {
      this.s.releaseHolds.run(at, 'expired', service);
    }
  }

  completeIntent(id: number, outcome: string, at: number): boolean {
    return this.s.completeIntent.run(outcome, at, id).changes === 1;
  }
}

/** Read side of states, intents and holds. */
export class StateReader {
  private readonly s: Record<string, Database.Statement>;

  constructor(sqlite: Database.Database) {
    const p = (sql: string) => sqlite.prepare(sql);
    this.s = {
      services: p(
        `SELECT s.name, s.unit, st.state, st.policy_hash, st.updated_at, st.mono_at, st.mono_origin, st.version
         FROM services s JOIN service_state st ON st.service = s.name ORDER BY s.name`,
      ),
      openIntents: p('SELECT * FROM intents WHERE outcome IS NULL ORDER BY id'),
      intents: p('SELECT * FROM intents ORDER BY id'),
      intentsOf: p('SELECT * FROM intents WHERE service = ? ORDER BY id'),
      activeHold: p('SELECT * FROM holds WHERE service = ? AND released_at IS NULL ORDER BY id DESC LIMIT 1'),
      holds: p('SELECT * FROM holds ORDER BY id'),
      holdsOf: p('SELECT * FROM holds WHERE service = ? ORDER BY id'),
    };
  }

  loadServices(): (StoredService & { version: number })[] {
    const rows = this.s.services.all() as {
      name: string;
      unit: string;
      state: string;
      policy_hash: string | null;
      updated_at: number;
      mono_at: number | null;
      mono_origin: string | null;
      version: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      unit: r.unit,
      state: JSON.parse(r.state) as ServiceState,
      policyHash: r.policy_hash,
      updatedAt: r.updated_at,
      monoAt: r.mono_at,
      monoOrigin: r.mono_origin,
      version: r.version,
    }));
  }

  openIntents(): Intent[] {
    return (this.s.openIntents.all() as IntentRow[]).map(toIntent);
  }

  listIntents(service?: string): IntentRecord[] {
    const rows = (
      service === undefined ? this.s.intents.all() : this.s.intentsOf.all(service)
    ) as IntentRow[];
    return rows.map((r) => ({ ...toIntent(r), outcome: r.outcome, completedAt: r.completed_at }));
  }

  activeHold(service: string): HoldRecord | null {
    const row = this.s.activeHold.get(service) as HoldRow | undefined;
    return row ? toHold(row) : null;
  }

  listHolds(service?: string): HoldRecord[] {
    const rows = (service === undefined ? this.s.holds.all() : this.s.holdsOf.all(service)) as HoldRow[];
    return rows.map(toHold);
  }
}

interface HoldRow {
  id: number;
  service: string;
  actor: string;
  reason: string;
  set_at: number;
  until: number;
  released_at: number | null;
  released_by: string | null;
}

const toHold = (r: HoldRow): HoldRecord => ({
  id: r.id,
  service: r.service,
  actor: r.actor,
  reason: r.reason,
  setAt: r.set_at,
  until: r.until,
  releasedAt: r.released_at,
  releasedBy: r.released_by,
});
