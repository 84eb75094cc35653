/**
 * The engine is the one path for every decision (DESIGN.md rule 1): it serializes inputs per
 * service, calls decide(), commits state + audit event + intents in one transaction, publishes
 * the event, and only then hands effects to the executor. Watchdog, GraphQL, Slack and CLI all
 * go through `submit`; none of them decides anything.
 */

import type { MaintenanceWindow } from '../contract/maintenance/active.js';
import type { AuditEvent, Intent, NewEvent } from '../core/audit.js';
import type { RemoteVerdict } from '../core/dependency.js';
import type { Policy } from '../core/policy.js';
import type { Decision, Effect, Input, ServiceState } from '../core/types.js';
import type { ServiceView } from '../core/view.js';

export interface ServiceConfig {
  name: string;
  unit: string;
  policy: Policy;
  /** Services this one depends on (contract `dependsOn`): its automatic restarts wait for them. */
  dependsOn?: string[];
  /** Services restarted after this one, in order, each through its own decide() (rest_for_one). */
  restartWith?: string[];
}

/** Who/what produced an input; recorded in the audit event. */
export interface SubmitMeta {
  source?:
    | 'probe'
    | 'systemd'
    | 'process'
    | 'graphql'
    | 'slack'
    | 'cli'
    | 'timer'
    | 'executor'
    | 'reconcile'
    | 'alertmanager'
    | 'hub'
    | 'dependency'
    | 'maintenance';
  /** Extra details stored in the event's `data` (probe detail, exit info, ...). */
  data?: Record<string, unknown>;
  /** For restart outcomes: the intent this outcome completes (default: the oldest open one). */
  intentId?: number;
}

export interface Committed {
  decision: Decision;
  /** The audit event written, or null for a counted repeat / a no-op (core/episode.ts). */
  event: AuditEvent | null;
}

/** `result`: the unit's `Result=` when systemd refused the job (e.g. `start-limit-hit`). */
export type ExecResult = { ok: true } | { ok: false; detail: string; result?: string };

/** Carries out effects; implemented by the systemd and process backends. */
export interface Executor {
  /** `ctx` names the committed intent being carried out (for logs and tests). */
  execute(
    service: ServiceConfig,
    effect: Effect,
    ctx?: { intentId: number; eventId: number },
  ): Promise<ExecResult>;
}

export type { Clock } from '../core/clock.js';

/** The hub's answer to a budget request, as the input decide() takes. */
export type BudgetReply = Extract<Input, { type: 'budget_granted' | 'budget_denied' | 'budget_unreachable' }>;

/**
 * The fleet restart budget's edge (issue 16; `medic serve` passes the hub client when
 * MEDIC_HUB_URL/TOKEN are set). Without it every request is answered `budget_unreachable` and
 * the policy's `onHubUnreachable` applies.
 */
export interface BudgetPort {
  /** Asks the hub for a lease for `service`; never rejects (a failure is `budget_unreachable`). */
  request(service: ServiceConfig, operator: boolean): Promise<BudgetReply>;
  /** Ends a lease (the restart's outcome is known); never rejects (the lease then lapses at its TTL). */
  finish(service: ServiceConfig, leaseId: string): Promise<void>;
  /**
   * The slot notification (optional): held open after a denial; `free` as soon as the hub says
   * a slot is free for `service`, `bound` when the hub held it to its bound (or `signal`
   * aborted), `failed` otherwise (no such endpoint, the hub down). Never rejects.
   */
  awaitSlot?(
    service: ServiceConfig,
    group: string,
    signal: AbortSignal,
  ): Promise<'free' | 'bound' | 'failed'>;
  /** False for a while after a notification failed: denials then re-ask at the usual cadence. */
  notifying?(): boolean;
  /** A budget wait ended after `waitedMs` (engine time) — granted, restarted locally, or given up. */
  waited?(service: ServiceConfig, group: string, waitedMs: number): void;
}

/**
 * Fleet dependencies (issue 18; `medic serve` passes the agent's RemoteDependencies when
 * MEDIC_HUB_URL is set): what this agent knows of the services on other nodes that its services
 * depend on (`node/name`), from the hub. Unknown is not down: the dependent's local limits apply.
 */
export interface RemoteDependencyPort {
  /** What is known of `id` (node/name) now. */
  verdict(id: string): RemoteVerdict;
  /** Called when a verdict changed (state, known or unknown); returns the unsubscribe. */
  onChange(listener: (id: string, now: RemoteVerdict, before: RemoteVerdict) => void): () => void;
}

export interface Engine {
  readonly services: ReadonlyMap<string, ServiceConfig>;
  /** Decide, commit, publish, execute. Serialized per service; rejects for unknown services. */
  submit(service: string, input: Input, meta?: SubmitMeta): Promise<Committed>;
  view(service: string): ServiceView | undefined;
  /** The current state alone (cheap: no projection), e.g. for filtering heartbeats. */
  state(service: string): ServiceState | undefined;
  views(): ServiceView[];
  /** Records a non-decision event (drift, access denied, approval requested, ...). */
  record(event: Omit<NewEvent, 'at'> & { at?: number }): AuditEvent;
  /**
   * Records several non-decision events in ONE store transaction (one fsync: a drift check that
   * changes 2,000 services), then publishes them in order.
   */
  recordAll(events: (Omit<NewEvent, 'at'> & { at?: number })[]): AuditEvent[];
  /** Every committed event, in commit order. Returns an unsubscribe function. */
  subscribe(listener: (event: AuditEvent) => void): () => void;
  /**
   * Publishes an event that another writer already committed to the store (e.g. `policy_applied`
   * written by the CLI or a GraphQL mutation): one log line, then the bus. Idempotent per event
   * id: an id already relayed, or committed by this engine itself, is ignored.
   */
  relay(event: AuditEvent): void;
  /**
   * Crash reconciliation's hard stop: `intent` (a stop committed before medic restarted) did not
   * run and the service's circuit is still open. The engine carries it out on its effect path
   * (after the service's other effects) and records one `hard_stop` event; when the circuit is
   * no longer open by then, nothing runs. Resolves once done.
   */
  resumeStop(intent: Intent): Promise<void>;
  /** Lets held effects run (see EngineDeps.holdEffects); a no-op when not held or already released. */
  releaseEffects(): void;
  /**
   * Replaces the maintenance windows (contract + ad hoc); services whose window stops applying
   * are re-evaluated at once (a tick each).
   */
  setMaintenance(windows: readonly MaintenanceWindow[]): void;
  /** The windows in force for evaluation (contract + ad hoc). */
  maintenanceWindows(): readonly MaintenanceWindow[];
  /** Swap a service's policy (policy apply/rollback); state and counters carry over. */
  setPolicy(service: string, policy: Policy): void;
  /** Resolves once no decision is queued and no effect (or its outcome) is in flight. */
  idle(): Promise<void>;
  /** Waits for in-flight effects and their outcomes; cancels timers. */
  close(): Promise<void>;
}
