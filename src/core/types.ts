/**
 * Longer than ~200 lines on purpose: the state union and the input union are read together.
 *
 * The vocabulary of the decision core: states, inputs, decisions and effects.
 *
 * Everything here is plain data that round-trips through JSON (timestamps are epoch
 * milliseconds, never Date objects), so a state can be stored, reloaded and replayed.
 * The core never reads the clock: `now` is always passed in.
 */

/** The six states of DESIGN.md's guarded self-healing state machine. */
export const STATE_NAMES = [
  'healthy',
  'restarting',
  'cooldown',
  'circuit_open',
  'half_open',
  'held',
  'deferred',
  'budget_wait',
] as const;
export type StateName = (typeof STATE_NAMES)[number];

/** Why an automatic restart attempt was not carried out. */
export const BLOCK_REASONS = [
  'skip_cooldown',
  'skip_backoff',
  'skip_circuit_open',
  'skip_held',
  'skip_dependency_down',
  'skip_maintenance',
  'skip_fleet_budget',
] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

/** EX_CONFIG: the service says its configuration is broken; restarting cannot help. */
export const FATAL_EXIT = 78;

/** Who asked for a restart. `external` = systemd's own `Restart=` (NRestarts grew). */
export type Initiator = 'auto' | 'forced' | 'approved' | 'external';

/**
 * Churn counters, carried through every state. `window` holds the epoch-ms times of the
 * restarts (of any initiator) still inside the sliding `windowSec`; it is pruned by decide().
 */
export interface Churn {
  window: number[];
  totalRestarts: number;
  blocked: Partial<Record<BlockReason, number>>;
  circuitOpens: number;
  lastRestartAt: number | null;
  /** Restarts in the current backoff run; reset to 0 after `stableSec` of health. */
  backoffLevel: number;
}

/** Fields every state carries. */
interface Base {
  churn: Churn;
  /** Consecutive failed probes (reset by a passing probe). */
  failures: number;
}

export interface HealthyState extends Base {
  tag: 'healthy';
  /** Since when probes have passed without interruption (for backoff/churn decay), or null. */
  healthySince: number | null;
}

export interface RestartingState extends Base {
  tag: 'restarting';
  initiator: Initiator;
  issuedAt: number;
  /** Startup grace ends here; still failing then counts as a failed restart. */
  graceUntil: number;
  /** True when this is the single half-open probe restart. */
  probe: boolean;
  /** openSec to use if this probe restart fails (only meaningful when probe). */
  openSec: number;
  /** Operator who approved this probe restart (approved probes only). */
  approvedBy?: string;
  /**
   * The fleet budget lease this restart holds (issue 16), as the hub granted it: finished
   * (`finish_budget`) when this restarting state ends, i.e. once the outcome is known.
   */
  lease?: BudgetLease;
}

/** A fleet budget lease held by a restart: its group and the hub's lease id. */
export interface BudgetLease {
  group: string;
  id: string;
}

/** The group's numbers as the hub last told them (for the audit log, views and Slack). */
export interface BudgetNumbers {
  inFlight: number;
  usedInWindow: number;
  waiting: number;
  /** This service's place among the waiters (1 = next), when denied. */
  position?: number;
}

/**
 * The service wants an automatic restart that passed every local limit, but its policy names a
 * fleet budget (issue 16): it waits for the hub's lease. `askAt` is when it asks (again): the
 * retry the hub named after a denial, or a safety re-ask when no answer came (medic restarted).
 */
export interface BudgetWaitState extends Base {
  tag: 'budget_wait';
  group: string;
  /** Since when the restart waits (the episode). */
  since: number;
  askAt: number;
  /** The restart waited for is the half-open probe (with the open period it would re-open for). */
  probe: boolean;
  openSec: number;
  /** The last denial's numbers (null until denied); `skip_fleet_budget` is written once per episode. */
  denied: BudgetNumbers | null;
  /** Why the hub could not be asked (onHubUnreachable: wait), or null. */
  unreachable: string | null;
}

export interface CooldownState extends Base {
  tag: 'cooldown';
  /** The service wants a restart; it may not happen before this time. */
  until: number;
  /**
   * Which limit imposed the wait. `maintenance`: a hold window (core/maintenance.ts) ends at
   * `until`; the restart goes through the gate then, or as soon as no hold window applies.
   */
  cause: 'cooldown' | 'backoff' | 'maintenance';
}

export interface CircuitOpenState extends Base {
  tag: 'circuit_open';
  openedAt: number;
  reopensAt: number;
  /** Length of this open period (doubles after a failed half-open probe, capped). */
  openSec: number;
  /** `start_limit_hit`: systemd refused medic's restart (its own start limit); see recommend.ts. */
  cause: 'churn' | 'fatal_exit' | 'probe_failed' | 'start_limit_hit';
  /**
   * True while the unit stands stopped by medic's own hard stop (set when the circuit opens
   * with `circuit.hardStop`, cleared by any restart). Its failed probes and exits are then
   * expected: they are not restart attempts and are not counted as refused.
   */
  stopped?: true;
}

export interface HalfOpenState extends Base {
  tag: 'half_open';
  since: number;
  openSec: number;
  /** Set once the single probe restart was issued (or the service proved healthy on its own). */
  probeUsed: boolean;
  /** Healthy since this time during the half-open period, or null. */
  stableSince: number | null;
  approvedBy: string | null;
}

/** The circuit a hold remembers, so releasing a hold never closes an open circuit. */
export interface HeldCircuit {
  openedAt: number;
  reopensAt: number;
  openSec: number;
  /** Why the remembered circuit opened (absent in states written before this field existed). */
  cause?: CircuitOpenState['cause'];
  /** The remembered circuit had stopped the unit (hard stop) and nothing restarted it since. */
  stopped?: true;
}

export interface HeldState extends Base {
  tag: 'held';
  actor: string;
  reason: string;
  setAt: number;
  until: number;
  circuit: HeldCircuit | null;
}

/**
 * The service wants an automatic restart, but a dependency (`dependsOn`) is not healthy: the
 * restart is deferred, not refused as churn (nothing enters the window or the backoff run).
 * When the dependency is healthy again, `restartAt` is set (spread by the policy's jitter) and
 * the one restart goes through the gate then.
 */
export interface DeferredState extends Base {
  tag: 'deferred';
  /** The dependency waited for (the first one in `dependsOn` order that is not healthy). */
  dependency: string;
  /** Since when the restart is deferred (the episode). */
  since: number;
  /** Set once the dependency is healthy again: the restart is due then; null while it is down. */
  restartAt: number | null;
}

export type ServiceState =
  | BudgetWaitState
  | DeferredState
  | HealthyState
  | RestartingState
  | CooldownState
  | CircuitOpenState
  | HalfOpenState
  | HeldState;

/** Operator identity and free-text reason attached to every command. */
export interface Operator {
  actor: string;
  reason: string;
}

/** Every way the world reaches decide(). */
export type Input =
  | { type: 'probe_ok' }
  | { type: 'probe_failed'; detail?: string }
  /** The main process exited. code 0 = clean (not churn); FATAL_EXIT (78, EX_CONFIG) is fatal. */
  | { type: 'exited'; code: number }
  /** systemd restarted the unit by itself (`Restart=`); count = NRestarts increase. */
  | { type: 'external_restart'; count: number }
  | { type: 'restart_succeeded' }
  /**
   * `result`: the unit's `Result=` when systemd itself refused the start (`start-limit-hit`:
   * StartLimitBurst starts within StartLimitIntervalSec), as the executor read it.
   */
  | { type: 'restart_failed'; detail?: string; result?: string }
  | ({ type: 'hold'; ttlSec: number } & Operator)
  /** `onlyIfActor`: release only a hold set by that actor (an alert's hold never ends an operator's). */
  | ({ type: 'release'; onlyIfActor?: string } & Operator)
  | ({ type: 'approve' } & Operator)
  | ({ type: 'force_restart' } & Operator)
  | ({ type: 'reset_circuit' } & Operator)
  /** Something outside (an alert) asks for an automatic restart: it passes the full gate. */
  | ({ type: 'restart_requested' } & Operator)
  /** `service` restarted and names this one in its `restartWith` (rest_for_one): restart after it. */
  | { type: 'restart_with'; service: string }
  /**
   * The hub's answers to a `request_budget` effect (issue 16). `retryInMs` is a duration, not a
   * time: the hub's clock is not the engine's monotonic timeline.
   */
  /** `operator`: the answer to an operator restart's request (counted only; never starts a restart). */
  | ({ type: 'budget_granted'; leaseId: string; operator?: boolean } & BudgetNumbers)
  /**
   * `notified`: the agent holds the hub's slot notification open for this wait (it will be told
   * when a slot is free for it), so it re-asks only as a safety net (`NOTIFIED_RECHECK_MS`).
   */
  | ({ type: 'budget_denied'; retryInMs: number; notified?: boolean } & BudgetNumbers)
  /**
   * No answer within the policy's `timeoutMs` (or a refusal, or no hub). `notified` (only for
   * `onHubUnreachable: wait`): the request may have reached the hub and the agent watches for
   * its slot through the hub's notification, so it re-asks as a safety net only.
   */
  | { type: 'budget_unreachable'; reason: string; notified?: boolean }
  /**
   * The hub's slot notification (issue 16): a lease of the group ended and a slot is free for
   * this waiting service now, so it asks for its lease at once instead of at `askAt`. `lost`:
   * the notification failed (the hub did not hold it), so it asks now instead of at the safety net.
   */
  | { type: 'budget_slot_free'; lost?: boolean }
  | { type: 'tick' };

export type InputType = Input['type'];
export const INPUT_TYPES: readonly InputType[] = [
  'probe_ok',
  'probe_failed',
  'exited',
  'external_restart',
  'restart_succeeded',
  'restart_failed',
  'hold',
  'release',
  'approve',
  'force_restart',
  'reset_circuit',
  'restart_requested',
  'restart_with',
  'budget_granted',
  'budget_denied',
  'budget_unreachable',
  'budget_slot_free',
  'tick',
];

/**
 * What decide() is told about the service's surroundings by the engine (all optional; without
 * them decide() behaves as for a service with no dependencies and no jitter identity).
 */
export interface Surroundings {
  /** Service and node name: the seed of the policy's jitter (jitter.ts). */
  service?: string;
  node?: string;
  /** The first dependency (in `dependsOn` order) that is not healthy now, with its state. */
  dependencyDown?: { name: string; state: StateName };
  /**
   * The maintenance window in force for this service now (`endsAt` on decide()'s timebase):
   * `hold` refuses automatic restarts (`skip_maintenance`); `shadow` changes nothing here (the
   * engine records the effects without executing them).
   */
  maintenance?: ActiveMaintenance;
}

/** The reason codes of decisions (one table: code → audit event kind, taken). */
import type { DecisionCode } from './codes.js';
import type { ActiveMaintenance } from './maintenance.js';

export { DECISION_CODES, type DecisionCode } from './codes.js';

/** Side effects decide() asks the edges to carry out, after the decision is committed. */
export type Effect =
  | { type: 'restart'; initiator: Exclude<Initiator, 'external'>; probe: boolean }
  /** Hard stop on churn: stop the unit so systemd's own Restart= loop ends. */
  | { type: 'stop'; reason: 'hard_stop' }
  /**
   * Ask the hub for a lease in the fleet budget group (issue 16); the answer comes back as a
   * `budget_*` input. `operator`: a forced/approved restart that already runs, only counted.
   * Carried out by the engine itself (not an intent: a lost request is re-asked at `askAt`).
   */
  | { type: 'request_budget'; group: string; operator: boolean }
  /** The restart holding `leaseId` has its outcome (or the lease is not needed): end the lease. */
  | { type: 'finish_budget'; group: string; leaseId: string; outcome: 'healthy' | 'failed' | 'unused' };

/** Effects the engine carries out itself, without an intent (the fleet budget's messages). */
export type BudgetEffect = Extract<Effect, { type: 'request_budget' | 'finish_budget' }>;

export function isBudgetEffect(e: Effect): e is BudgetEffect {
  return e.type === 'request_budget' || e.type === 'finish_budget';
}

/**
 * What the operator should do next. It follows from the state alone (core/recommend.ts:
 * `recommend(state, policy, service, now)`), so decide() does not carry it.
 */
export interface RecommendedAction {
  code: RecommendedActionCode;
  /** One line, with the concrete command. */
  summary: string;
  command: string;
  /** Anchor in the runbook (without '#'), stable across releases. */
  anchor: string;
}

export const RECOMMENDED_ACTION_CODES = [
  'none',
  'watch_restart',
  'wait_cooldown',
  'inspect_and_approve',
  'watch_probe',
  'review_hold',
  'fix_dependency',
  'reset_failed',
  'wait_maintenance',
  'wait_fleet_budget',
] as const;
export type RecommendedActionCode = (typeof RECOMMENDED_ACTION_CODES)[number];

/** The full result of one decide() call. */
export interface Decision {
  decision: DecisionCode;
  /** True when the decision carries out something (restart, stop, state change by command). */
  taken: boolean;
  next: ServiceState;
  effects: Effect[];
  /** Human-readable explanation, one sentence. */
  detail: string;
}
