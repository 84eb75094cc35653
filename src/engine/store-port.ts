/**
 * What the engine needs from a store (the store implements this port; the engine never imports
 * the store): load and commit decisions in one transaction, append events, settle intents,
 * and the approval request's pending action. `src/store/types.ts` `Store` extends it.
 */
import type { AuditEvent, EventKind, Intent, NewEvent } from '../core/audit.js';
import type { PendingAction, PendingActionKind } from '../core/pending.js';
import type { Effect, ServiceState } from '../core/types.js';

export interface StoredService {
  name: string;
  unit: string;
  state: ServiceState;
  /** Hash of the policy the state was last decided under (for policy versions). */
  policyHash: string | null;
  /** Wall time of the last commit (epoch ms); the state's times are wall times as of then. */
  updatedAt: number;
  /** The monotonic clock at that commit and its origin (boot id); null in older rows. */
  monoAt: number | null;
  monoOrigin: string | null;
}

/** The monotonic clock at a state commit and its origin (boot id): how the state is re-based. */
export interface StateClock {
  monoAt: number | null;
  monoOrigin: string | null;
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
  /** The monotonic clock at `event.at` and its origin, stored to re-base the state on start. */
  clock?: StateClock;
}

/** A state alone (a counted repeat refusal: no audit event, no effect), optimistic like a decision. */
export interface StateCommit {
  service: string;
  unit: string;
  prev: number;
  next: ServiceState;
  policyHash: string | null;
  at: number;
  /** As DecisionCommit.clock. */
  clock?: StateClock;
}

export interface CommitResult {
  event: AuditEvent;
  intents: Intent[];
  /** The new state version (pass it as `prev` of the next commit). */
  version: number;
}

export interface EngineStore {
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
  /** Events by kind, newest first with `order: 'desc'` (the maintenance watch's start-up read). */
  listEvents(q: { kinds?: EventKind[]; first?: number; order?: 'asc' | 'desc' }): {
    events: AuditEvent[];
    hasMore: boolean;
  };
  /** The newest decision event of a service, or null. */
  lastDecisionEvent(service: string): AuditEvent | null;
  openIntents(): Intent[];
  /** Sets an open intent's outcome; false when it was not open (already completed or unknown). */
  completeIntent(id: number, outcome: string, at: number): boolean;
  createPendingAction(pa: Omit<PendingAction, 'usedAt' | 'usedBy'>): PendingAction;
  /** Unused, unexpired actions of a service (at `at`, default the store clock's now). */
  pendingActionsFor(service: string, at?: number): PendingAction[];
  /** Expires the unused actions of a service (optionally only these kinds); returns how many. */
  expirePendingActions(service: string, at: number, kinds?: PendingActionKind[]): number;
  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
}
