/**
 * The store's port: what every other part of medic may ask of it. The SQLite implementation
 * lives beside this file; the shape is chosen so a PostgreSQL one can follow. The engine's
 * part (`EngineStore`: decisions, events, intents, approval actions) is declared by the engine.
 *
 * Rules: the audit log is append-only (no update or delete path exists); a decision's new
 * state, its audit event and its effect intents are written in ONE transaction, before any
 * effect runs (promise 4).
 */
import type { AuditEvent, NewEvent } from '../core/audit.js';
import type { PendingAction } from '../core/pending.js';
import type { TokenRole } from '../core/roles.js';
import type { EngineStore } from '../engine/store-port.js';
import type { AlertClaim, ClaimVerdict } from './alerts.js';
import type { Episode, EscalationPlan, OutboxRow } from './escalations.js';
import type { StoreHealth } from './health.js';
import type { MaintenanceRecord, NewMaintenance } from './maintenance.js';
import type {
  ClaimResult,
  EventQuery,
  HoldRecord,
  IntentRecord,
  NewPolicyVersion,
  PolicyVersion,
  SlackIncidentRecord,
  TokenRecord,
} from './records.js';
import type { ShippedEvents } from './shipped-events.js';

export type {
  CommitResult,
  DecisionCommit,
  StateClock,
  StateCommit,
  StoredService,
} from '../engine/store-port.js';
export type { AlertClaim, ClaimVerdict } from './alerts.js';
export type { Episode, EscalationPlan, OutboxRow } from './escalations.js';
export type { MaintenanceRecord, NewMaintenance } from './maintenance.js';
export type * from './records.js';

/**
 * The store (SQLite today; the shape allows a PostgreSQL implementation). All methods are
 * synchronous and throw `StoreError` (src/store/errors.ts) with a code on domain failures.
 */
export interface Store extends EngineStore {
  readonly path: string;
  /**
   * Commits skip their fsync until the returned barrier runs; the barrier makes them all durable
   * at once (src/store/durability.ts). For start-up bursts nothing acts on before the barrier.
   */
  deferSync(): () => void;
  listEvents(q: EventQuery): { events: AuditEvent[]; hasMore: boolean };
  /** Events with id > after, oldest first, at most `first`, as one JSON array in UTF-8 bytes (the hub shipper's read). */
  shippedEventsAfter(after: number, first: number): ShippedEvents;
  getEvent(id: number): AuditEvent | null;
  listIntents(service?: string): IntentRecord[];
  activeHold(service: string): HoldRecord | null;
  listHolds(service?: string): HoldRecord[];
  createToken(name: string, role: TokenRole, hash: string, at: number): TokenRecord;
  /** The token with this SHA-256 hex hash, or null when unknown or revoked. */
  findTokenByHash(hash: string): TokenRecord | null;
  listTokens(): TokenRecord[];
  /** False when no unrevoked token has that name. */
  revokeToken(name: string, at: number): boolean;
  touchToken(name: string, at: number): void;
  getPendingAction(id: string): PendingAction | null;
  /** Compare-and-set: the first claim of an unused, unexpired action wins. */
  claimPendingAction(id: string, actor: string, at: number): ClaimResult;
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
  /**
   * Durable replay memory (the Slack bot's replay guard): remembers `keys` until `expiresAt`;
   * 'seen' when any key is already remembered and unexpired at `at`, else 'new'.
   */
  claimReplay(keys: string[], expiresAt: number, at: number): 'new' | 'seen';
  /** The store's identity: random, made with the database (identity.ts; shipped to the hub). */
  storeId(): string;
  /**
   * Alertmanager dedupe (alerts.ts): records the delivery's key and the firing set in one
   * transaction; `first: false` when the key was already recorded (the delivery must not act).
   */
  claimAlert(claim: AlertClaim): ClaimVerdict;
  /** Forgets a claimed key whose action could not be submitted (the next delivery acts). */
  unclaimAlert(key: string): void;
  /** Escalation (escalations.ts): a step's outbox rows + episode change + cursor, one transaction. */
  planEscalation(plan: EscalationPlan): void;
  escalationEpisodes(): Episode[];
  /** The escalation planner's event cursor (null: never set). */
  escalationCursor(): number | null;
  advanceEscalationCursor(eventId: number, at: number): void;
  /** Pending outbox rows due at `now`, oldest first, none behind an undelivered earlier row of its key. */
  dueEscalations(now: number, limit?: number): OutboxRow[];
  nextEscalationAt(): number | null;
  escalationDelivered(id: number, at: number): void;
  escalationRetry(id: number, nextAt: number, error: string): void;
  escalationFailed(id: number, at: number, error: string): void;
  /** Maintenance (maintenance.ts): the window row and its audit event, one transaction. */
  scheduleMaintenance(
    w: NewMaintenance,
    event: (rec: MaintenanceRecord) => NewEvent,
  ): { window: MaintenanceRecord; event: AuditEvent };
  /** Cancels a window not yet over (null: unknown, over or already cancelled), with its event. */
  cancelMaintenance(
    id: number,
    actor: string,
    at: number,
    event: (rec: MaintenanceRecord) => NewEvent,
  ): { window: MaintenanceRecord; event: AuditEvent } | null;
  getMaintenance(id: number): MaintenanceRecord | null;
  /** Windows not cancelled and not over at `at`, by start. */
  listMaintenance(at: number): MaintenanceRecord[];
  /**
   * Whether the store can durably record now (health.ts): fed by every guarded write
   * (transaction, commitDecision, commitState, appendEvent, completeIntent, claims), which also
   * refuse with StoreError('LOST') once the database file was deleted or replaced under medic.
   */
  readonly health: StoreHealth;
  close(): void;
}
