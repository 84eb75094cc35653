/**
 * Longer than ~200 lines on purpose: the Store port's one implementation — each method a short
 * delegation to its part (decisions, events, holds, tokens, ...), writes through one guard.
 *
 * `openStore(path)`: the SQLite implementation of the Store (src/store/types.ts).
 *
 * Opening creates the directory, sets WAL + synchronous FULL + busy_timeout + foreign keys
 * (see db.ts for the durability argument) and applies the committed migrations. Every write
 * is parameterized; the decision commit uses prepared statements in one IMMEDIATE transaction.
 * The store does not lock out other processes (CLI commands may open it beside `medic serve`);
 * single-instance serving is `acquireLock` (lock.ts).
 */
import type Database from 'better-sqlite3';
import { systemClock } from '../clock/clock.js';
import type { AuditEvent, Intent, NewEvent } from '../core/audit.js';
import type { PendingAction, PendingActionKind } from '../core/pending.js';
import type { TokenRole } from '../core/roles.js';
import { type AlertClaim, AlertMemory, type ClaimVerdict } from './alerts.js';
import { type DbOptions, openDatabase, type Synchronous } from './db.js';
import { DecisionWriter, StateReader } from './decisions.js';
import { deferSync } from './durability.js';
import { isStoreFault } from './errors.js';
import {
  type Episode,
  ESCALATION_CURSOR,
  EscalationOutbox,
  type EscalationPlan,
  type OutboxRow,
} from './escalations.js';
import { EventReader, EventWriter } from './events.js';
import { fileIdentity, StoreHealth } from './health.js';
import { StoreIdentity } from './identity.js';
import { type MaintenanceRecord, MaintenanceRows, type NewMaintenance } from './maintenance.js';
import { PendingActions } from './pending.js';
import { PolicyVersions } from './policies.js';
import { ReplayMemory } from './replays.js';
import { ShippedEventReader, type ShippedEvents } from './shipped-events.js';
import { SlackState } from './slack.js';
import { Tokens } from './tokens.js';
import type {
  ClaimResult,
  CommitResult,
  DecisionCommit,
  EventQuery,
  HoldRecord,
  IntentRecord,
  NewPolicyVersion,
  PolicyVersion,
  SlackIncidentRecord,
  StateCommit,
  Store,
  StoredService,
  TokenRecord,
} from './types.js';

export { StoreError } from './errors.js';
export type { Store } from './types.js';

export interface StoreOptions extends DbOptions {
  /** Source of "now" for methods whose time is optional (default Date.now). */
  clock?: { now(): number };
}

class SqliteStore implements Store {
  private readonly eventWriter: EventWriter;
  private readonly eventReader: EventReader;
  private readonly shippedEvents: ShippedEventReader;
  private readonly decisions: DecisionWriter;
  private readonly states: StateReader;
  private readonly tokens: Tokens;
  private readonly pending: PendingActions;
  private readonly policies: PolicyVersions;
  private readonly slack: SlackState;
  private readonly replays: ReplayMemory;
  private readonly alerts: AlertMemory;
  private readonly outbox: EscalationOutbox;
  private readonly maintenance: MaintenanceRows;
  private readonly identity: StoreIdentity;
  private readonly upsertServiceStmt: Database.Statement;
  private readonly now: () => number;
  private readonly synchronous: Synchronous;
  readonly health: StoreHealth;
  /** Depth of guarded writes: only the outermost one checks identity and reports success. */
  private depth = 0;

  constructor(
    readonly path: string,
    readonly sqlite: Database.Database,
    orm: ReturnType<typeof openDatabase>['orm'],
    opts: StoreOptions,
  ) {
    const clock = opts.clock ?? systemClock;
    this.synchronous = opts.synchronous ?? 'full';
    this.now = () => clock.now();
    this.eventWriter = new EventWriter(sqlite);
    this.eventReader = new EventReader(orm);
    this.shippedEvents = new ShippedEventReader(sqlite);
    this.decisions = new DecisionWriter(sqlite, this.eventWriter);
    this.states = new StateReader(sqlite);
    this.tokens = new Tokens(orm);
    this.pending = new PendingActions(orm);
    this.policies = new PolicyVersions(orm);
    this.slack = new SlackState(orm);
    this.replays = new ReplayMemory(sqlite);
    this.alerts = new AlertMemory(sqlite);
    this.outbox = new EscalationOutbox(sqlite);
    this.maintenance = new MaintenanceRows(sqlite);
    this.identity = new StoreIdentity(sqlite);
    this.health = new StoreHealth(path, path === ':memory:' ? null : fileIdentity(path), this.now);
    this.upsertServiceStmt = sqlite.prepare(
      `INSERT INTO services (name, unit) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET unit = excluded.unit WHERE unit <> excluded.unit`,
    );
  }

  loadServices(): (StoredService & { version: number })[] {
    return this.states.loadServices();
  }
  upsertService(name: string, unit: string): void {
    this.upsertServiceStmt.run(name, unit);
  }
  /**
   * A write that counts for store health: refused when the file is gone (no record into an
   * unlinked inode); a fault marks the store failing. Recovery is the store watch's probe commit
   * (src/serve/store-watch.ts), not any small write that happens to fit on a full disk.
   */
  private guarded<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.health.assertIntact();
    this.depth += 1;
    try {
      return fn();
    } catch (err) {
      if (isStoreFault(err)) this.health.failed(err);
      throw err;
    } finally {
      this.depth -= 1;
    }
  }
  commitDecision(commit: DecisionCommit): CommitResult {
    return this.guarded(() => this.decisions.commit(commit));
  }

  commitState(commit: StateCommit): number {
    return this.guarded(() => this.decisions.commitState(commit));
  }
  appendEvent(event: NewEvent): AuditEvent {
    return this.guarded(() => this.eventWriter.append(event));
  }
  listEvents(q: EventQuery): { events: AuditEvent[]; hasMore: boolean } {
    return this.eventReader.list(q);
  }
  shippedEventsAfter(after: number, first: number): ShippedEvents {
    return this.shippedEvents.read(after, first);
  }
  getEvent(id: number): AuditEvent | null {
    return this.eventReader.get(id);
  }
  lastDecisionEvent(service: string): AuditEvent | null {
    return this.eventReader.lastDecision(service);
  }
  openIntents(): Intent[] {
    return this.states.openIntents();
  }
  listIntents(service?: string): IntentRecord[] {
    return this.states.listIntents(service);
  }
  completeIntent(id: number, outcome: string, at: number): boolean {
    return this.guarded(() => this.decisions.completeIntent(id, outcome, at));
  }
  activeHold(service: string): HoldRecord | null {
    return this.states.activeHold(service);
  }
  listHolds(service?: string): HoldRecord[] {
    return this.states.listHolds(service);
  }
  createToken(name: string, role: TokenRole, hash: string, at: number): TokenRecord {
    return this.tokens.create(name, role, hash, at);
  }
  findTokenByHash(hash: string): TokenRecord | null {
    return this.tokens.findByHash(hash);
  }
  listTokens(): TokenRecord[] {
    return this.tokens.list();
  }
  revokeToken(name: string, at: number): boolean {
    return this.tokens.revoke(name, at);
  }
  touchToken(name: string, at: number): void {
    this.tokens.touch(name, at);
  }
  createPendingAction(pa: Omit<PendingAction, 'usedAt' | 'usedBy'>): PendingAction {
    return this.pending.create(pa);
  }
  getPendingAction(id: string): PendingAction | null {
    return this.pending.get(id);
  }
  claimPendingAction(id: string, actor: string, at: number): ClaimResult {
    return this.guarded(() => this.pending.claim(id, actor, at));
  }
  pendingActionsFor(service: string, at: number = this.now()): PendingAction[] {
    return this.pending.openFor(service, at);
  }
  expirePendingActions(service: string, at: number, kinds?: PendingActionKind[]): number {
    return this.pending.expire(service, at, kinds);
  }
  insertPolicyVersion(v: NewPolicyVersion): PolicyVersion {
    return this.policies.insert(v);
  }
  activatePolicyVersion(version: number): PolicyVersion {
    return this.policies.activate(version);
  }
  activePolicyVersion(): PolicyVersion | null {
    return this.policies.active();
  }
  listPolicyVersions(): PolicyVersion[] {
    return this.policies.list();
  }
  getPolicyVersion(version: number): PolicyVersion | null {
    return this.policies.get(version);
  }
  upsertSlackIncident(rec: SlackIncidentRecord): SlackIncidentRecord {
    return this.slack.upsert(rec);
  }
  openSlackIncidents(): SlackIncidentRecord[] {
    return this.slack.open();
  }
  closeSlackIncident(key: string, at: number): boolean {
    return this.slack.close(key, at);
  }
  eventCursor(name: string): number | null {
    return this.slack.cursor(name);
  }
  advanceEventCursor(name: string, eventId: number, at: number): number {
    return this.slack.advance(name, eventId, at);
  }
  storeId(): string {
    return this.guarded(() => this.identity.get(this.now()));
  }
  claimReplay(keys: string[], expiresAt: number, at: number): 'new' | 'seen' {
    return this.guarded(() => this.replays.claim(keys, expiresAt, at));
  }
  claimAlert(claim: AlertClaim): ClaimVerdict {
    return this.guarded(() => this.alerts.claim(claim));
  }
  unclaimAlert(key: string): void {
    this.guarded(() => this.alerts.unclaim(key));
  }
  planEscalation(plan: EscalationPlan): void {
    this.guarded(() => this.outbox.plan(plan));
  }
  escalationEpisodes(): Episode[] {
    return this.outbox.episodes();
  }
  escalationCursor(): number | null {
    return this.slack.cursor(ESCALATION_CURSOR);
  }
  advanceEscalationCursor(eventId: number, at: number): void {
    this.guarded(() => this.slack.advance(ESCALATION_CURSOR, eventId, at));
  }
  dueEscalations(now: number, limit?: number): OutboxRow[] {
    return this.outbox.due(now, limit);
  }
  nextEscalationAt(): number | null {
    return this.outbox.nextAttemptAt();
  }
  escalationDelivered(id: number, at: number): void {
    this.guarded(() => this.outbox.delivered(id, at));
  }
  escalationRetry(id: number, nextAt: number, error: string): void {
    this.guarded(() => this.outbox.retry(id, nextAt, error));
  }
  escalationFailed(id: number, at: number, error: string): void {
    this.guarded(() => this.outbox.failed(id, at, error));
  }
  scheduleMaintenance(
    w: NewMaintenance,
    event: (rec: MaintenanceRecord) => NewEvent,
  ): { window: MaintenanceRecord; event: AuditEvent } {
    return this.transaction(() => {
      const window = this.maintenance.add(w);
      return { window, event: this.eventWriter.append(event(window)) };
    });
  }
  cancelMaintenance(
    id: number,
    actor: string,
    at: number,
    event: (rec: MaintenanceRecord) => NewEvent,
  ): { window: MaintenanceRecord; event: AuditEvent } | null {
    return this.transaction(() => {
      const window = this.maintenance.cancelWindow(id, actor, at);
      return window ? { window, event: this.eventWriter.append(event(window)) } : null;
    });
  }
  getMaintenance(id: number): MaintenanceRecord | null {
    return this.maintenance.get(id);
  }
  listMaintenance(at: number): MaintenanceRecord[] {
    return this.maintenance.list(at);
  }
  transaction<T>(fn: () => T): T {
    return this.guarded(() => this.sqlite.transaction(fn).immediate());
  }
  deferSync(): () => void {
    return deferSync(this.sqlite, this.path, this.synchronous);
  }
  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

/** Opens (creating and migrating as needed) the store at `path` (':memory:' for tests). */
export function openStore(path: string, opts: StoreOptions = {}): Store {
  const { sqlite, orm } = openDatabase(path, opts);
  return new SqliteStore(path, sqlite, orm, opts);
}
