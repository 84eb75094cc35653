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

// ---------------------------------------------------------------------------------------------
// Additions by the store helper (additive): the Store interface other parts build against.

/** An intent with its outcome (null while open). */
export interface IntentRecord extends Intent {
  outcome: string | null;
  completedAt: number | null;
}

/** A hold, current (`releasedAt` null) or past. `releasedBy` is 'expired' when its TTL ran out. */
export interface HoldRecord {
  id: number;
  service: string;
  actor: string;
  reason: string;
  setAt: number;
  until: number;
  releasedAt: number | null;
  releasedBy: string | null;
}

/** One decision to persist: state, audit event and effect intents, in one transaction. */
export interface DecisionCommit {
  service: string;
  unit: string;
  /** Version of the stored state this decision was computed from (0 when none was stored). */
  prev: number;
  next: ServiceState;
  event: NewEvent;
  effects: Effect[];
  policyHash: string | null;
  /** For a restart outcome: the intent it completes (default: the oldest open restart intent). */
  intentId?: number;
}

/** A state alone (a counted repeat refusal: no audit event, no effect), optimistic like a decision. */
export interface StateCommit {
  service: string;
  unit: string;
  prev: number;
  next: ServiceState;
  policyHash: string | null;
  at: number;
}

export interface CommitResult {
  event: AuditEvent;
  intents: Intent[];
  /** The new state version (pass it as `prev` of the next commit). */
  version: number;
}

export type ClaimResult = { ok: true; action: PendingAction } | { ok: false; action: PendingAction | null };

export interface NewPolicyVersion {
  hash: string;
  content: Record<string, unknown>;
  author: string;
  reason: string;
  createdAt: number;
}

/**
 * A Slack incident as the bot persists it (one parent message per service + episode), so that
 * after a restart follow-ups go to the same thread. `closedAt` is null while open.
 */
export interface SlackIncidentRecord {
  /** `<service>#<event id>` of the opening event (`drift:<service|contract>#<id>` for drift). */
  key: string;
  /** The service name, or `drift:<service|contract>`. */
  slot: string;
  service: string | null;
  channel: string;
  /** Parent message ts (null until posted). */
  ts: string | null;
  openedAt: number;
  closedAt: number | null;
  /** Highest event id applied to this incident. */
  lastEventId: number;
  /** What the bot needs to re-render the parent (opaque to the store). */
  data: Record<string, unknown>;
}

/**
 * The store (SQLite today; the shape allows a PostgreSQL implementation). All methods are
 * synchronous and throw `StoreError` (src/store/errors.ts) with a code on domain failures.
 */
export interface Store {
  readonly path: string;
  loadServices(): (StoredService & { version: number })[];
  /** Inserts or updates a service's unit (no state is written). */
  upsertService(name: string, unit: string): void;
  /**
   * ONE transaction: state (optimistic: fails with CONFLICT unless the stored version is
   * `prev`), the audit event, one intent per effect (born completed as 'shadow' when the
   * event's mode is shadow), closing the oldest open restart intent when the input is a
   * restart outcome, and the holds table on hold_set / hold_released / hold_expired.
   */
  commitDecision(commit: DecisionCommit): CommitResult;
  /** The state alone, same optimistic version rule; returns the new version. */
  commitState(commit: StateCommit): number;
  appendEvent(event: NewEvent): AuditEvent;
  listEvents(q: EventQuery): { events: AuditEvent[]; hasMore: boolean };
  getEvent(id: number): AuditEvent | null;
  /** The newest decision event of a service, or null. */
  lastDecisionEvent(service: string): AuditEvent | null;
  openIntents(): Intent[];
  listIntents(service?: string): IntentRecord[];
  /** Sets an open intent's outcome; false when it was not open (already completed or unknown). */
  completeIntent(id: number, outcome: string, at: number): boolean;
  activeHold(service: string): HoldRecord | null;
  listHolds(service?: string): HoldRecord[];
  createToken(name: string, role: TokenRole, hash: string, at: number): TokenRecord;
  /** The token with this SHA-256 hex hash, or null when unknown or revoked. */
  findTokenByHash(hash: string): TokenRecord | null;
  listTokens(): TokenRecord[];
  /** False when no unrevoked token has that name. */
  revokeToken(name: string, at: number): boolean;
  touchToken(name: string, at: number): void;
  createPendingAction(pa: Omit<PendingAction, 'usedAt' | 'usedBy'>): PendingAction;
  getPendingAction(id: string): PendingAction | null;
  /** Compare-and-set: the first claim of an unused, unexpired action wins. */
  claimPendingAction(id: string, actor: string, at: number): ClaimResult;
  /** Unused, unexpired actions of a service (at `at`, default the store clock's now). */
  pendingActionsFor(service: string, at?: number): PendingAction[];
  /** Expires the unused actions of a service (optionally only these kinds); returns how many. */
  expirePendingActions(service: string, at: number, kinds?: PendingActionKind[]): number;
  /** Inserts the next version number (inactive unless activated). */
  insertPolicyVersion(v: NewPolicyVersion): PolicyVersion;
  /** Makes this version the only active one; throws NOT_FOUND. */
  activatePolicyVersion(version: number): PolicyVersion;
  activePolicyVersion(): PolicyVersion | null;
  /** Newest first. */
  listPolicyVersions(): PolicyVersion[];
  getPolicyVersion(version: number): PolicyVersion | null;
  /** Inserts or replaces (by key) a Slack incident. */
  upsertSlackIncident(rec: SlackIncidentRecord): SlackIncidentRecord;
  /** Incidents with `closedAt` null, oldest first. */
  openSlackIncidents(): SlackIncidentRecord[];
  /** Marks an open incident closed; false when unknown or already closed. */
  closeSlackIncident(key: string, at: number): boolean;
  /** The event cursor of a consumer (e.g. 'slack'), or null when never set. */
  eventCursor(name: string): number | null;
  /** Advances a consumer's cursor; never moves it backwards. Returns the stored value. */
  advanceEventCursor(name: string, eventId: number, at: number): number;
  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  close(): void;
}
