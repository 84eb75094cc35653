/**
 * The store's contract: what every other part of medic may ask of it. The SQLite
 * implementation lives beside this file; the shape is chosen so a PostgreSQL one can follow.
 *
 * Rules: the audit log is append-only (no update or delete path exists); a decision's new
 * state, its audit event and its effect intents are written in ONE transaction, before any
 * effect runs (promise 4).
 */
import type { DecisionCode, Effect, Input, ServiceState, StateName } from '../core/types.js';

/** Kinds of audit events. Decision events map from their decision code (core/events.ts). */
export const EVENT_KINDS = [
  'observation',
  'restart_decided',
  'restart_blocked',
  'restart_executed',
  'circuit_opened',
  'circuit_half_open',
  'circuit_closed',
  'hold_set',
  'hold_released',
  'hold_expired',
  'approval_requested',
  'approval_granted',
  'hard_stop',
  'drift_detected',
  'drift_resolved',
  'policy_applied',
  'policy_rolled_back',
  'access_denied',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

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

export interface EventQuery {
  service?: string;
  kinds?: EventKind[];
  since?: number;
  /** Page size (default 50, max 500). */
  first?: number;
  /** Cursor: return events with id greater than this (oldest first) ... */
  after?: number;
  /** ... or, when `order` is 'desc', events with id lower than this, newest first. */
  order?: 'asc' | 'desc';
}

/** A restart/stop that was decided and committed but whose outcome is not yet recorded. */
export interface Intent {
  id: number;
  service: string;
  eventId: number;
  effect: Effect;
  decidedAt: number;
}

export interface StoredService {
  name: string;
  unit: string;
  state: ServiceState;
  /** Hash of the policy the state was last decided under (for policy versions). */
  policyHash: string | null;
  updatedAt: number;
}

export type TokenRole = 'viewer' | 'operator' | 'admin';

export interface TokenRecord {
  name: string;
  role: TokenRole;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export type PendingActionKind = 'approve' | 'block' | 'release';

export interface PendingAction {
  /** Opaque, unguessable, single-use (what Slack buttons carry). */
  id: string;
  service: string;
  kind: PendingActionKind;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedBy: string | null;
  /** Incident key (service + episode) this action belongs to. */
  incident: string;
}

export interface PolicyVersion {
  version: number;
  hash: string;
  /** The policies map ({name: Policy}) and service→policy assignment, as applied. */
  content: Record<string, unknown>;
  author: string;
  reason: string;
  createdAt: number;
  active: boolean;
}
