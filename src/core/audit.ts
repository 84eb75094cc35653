/**
 * The audit vocabulary every part of medic speaks: event kinds, the counters snapshot, the
 * shape of an audit event and of an effect intent. Plain data (epoch-ms timestamps) that
 * round-trips JSON; the store persists it, the engine produces it, the API and bot show it.
 */
import type { DecisionCode, EventKind } from './codes.js';
import type { Effect, Input, StateName } from './types.js';

export { EVENT_KINDS, type EventKind } from './codes.js';

/** Counters copied into each decision event (and into its log line). */
export interface CountersSnapshot {
  restartsInWindow: number;
  totalRestarts: number;
  blockedAttempts: number;
  circuitOpens: number;
}

export interface AuditEvent {
  /** Monotonic, also the pagination cursor. */
  id: number;
  at: number;
  service: string | null;
  kind: EventKind;
  /** Set for decision events only: exactly one event per decide() call. */
  decision: DecisionCode | null;
  taken: boolean | null;
  input: Input | null;
  actor: string | null;
  reason: string | null;
  stateFrom: StateName | null;
  stateTo: StateName | null;
  counters: CountersSnapshot | null;
  effects: Effect[];
  mode: 'enforce' | 'shadow' | null;
  /** Free-form details (drift findings, executor error, policy version, ...). */
  data: Record<string, unknown> | null;
}

export type NewEvent = Omit<AuditEvent, 'id'>;

/** A restart/stop that was decided and committed but whose outcome is not yet recorded. */
export interface Intent {
  id: number;
  service: string;
  eventId: number;
  effect: Effect;
  decidedAt: number;
}
