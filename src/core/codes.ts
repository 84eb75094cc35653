/**
 * The code lists of the audit log, each written once: audit event kinds, and every decision
 * code with its event kind and whether it is "taken" (carries something out: a restart, or a
 * circuit/hold transition that may carry a stop). Observations, skips, noop and not_pending
 * are not taken. The first block of decisions is DESIGN.md's list; the second names the
 * decisions that observe without acting, so that every input yields exactly one code.
 */

/** Kinds of audit events. Decision events map from their decision code (core/decisions.ts). */
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
  'escalation_sent',
  'escalation_failed',
  'maintenance_scheduled',
  'maintenance_cancelled',
  'maintenance_started',
  'maintenance_ended',
  'remote_dependency_unknown',
  'remote_dependency_known',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const DECISIONS = {
  restart: { kind: 'restart_decided', taken: true },
  restart_forced: { kind: 'restart_decided', taken: true },
  restart_approved: { kind: 'restart_decided', taken: true },
  skip_cooldown: { kind: 'restart_blocked', taken: false },
  skip_backoff: { kind: 'restart_blocked', taken: false },
  skip_circuit_open: { kind: 'restart_blocked', taken: false },
  skip_held: { kind: 'restart_blocked', taken: false },
  skip_dependency_down: { kind: 'restart_blocked', taken: false },
  skip_maintenance: { kind: 'restart_blocked', taken: false },
  skip_fleet_budget: { kind: 'restart_blocked', taken: false },
  circuit_opened: { kind: 'circuit_opened', taken: true },
  circuit_half_open: { kind: 'circuit_half_open', taken: true },
  circuit_closed: { kind: 'circuit_closed', taken: true },
  hold_set: { kind: 'hold_set', taken: true },
  hold_released: { kind: 'hold_released', taken: true },
  hold_expired: { kind: 'hold_expired', taken: true },
  // observations and outcomes
  noop: { kind: 'observation', taken: false },
  failure_counted: { kind: 'observation', taken: false },
  recovered: { kind: 'observation', taken: false },
  restart_succeeded: { kind: 'restart_executed', taken: false },
  restart_failed: { kind: 'restart_executed', taken: false },
  clean_exit: { kind: 'observation', taken: false },
  external_restart: { kind: 'observation', taken: false },
  not_pending: { kind: 'observation', taken: false },
  dependency_recovered: { kind: 'observation', taken: false },
  // fleet budget (issue 16): asking the hub, an operator restart's lease counted, a lease not needed
  budget_requested: { kind: 'observation', taken: false },
  budget_counted: { kind: 'observation', taken: false },
  budget_released: { kind: 'observation', taken: false },
} as const satisfies Record<string, { kind: EventKind; taken: boolean }>;

export type DecisionCode = keyof typeof DECISIONS;
export const DECISION_CODES = Object.keys(DECISIONS) as readonly DecisionCode[];
