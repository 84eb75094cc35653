/**
 * How decisions appear in the audit log: the event kind of each decision code, and the
 * counters snapshot copied into each decision event (and its log line).
 */

import type { CountersSnapshot, EventKind } from '../store/types.js';
import type { Policy } from './policy.js';
import { blockedTotal, pruneWindow } from './state.js';
import type { DecisionCode, ServiceState } from './types.js';

const KIND: Record<DecisionCode, EventKind> = {
  restart: 'restart_decided',
  restart_forced: 'restart_decided',
  restart_approved: 'restart_decided',
  skip_cooldown: 'restart_blocked',
  skip_backoff: 'restart_blocked',
  skip_circuit_open: 'restart_blocked',
  skip_held: 'restart_blocked',
  circuit_opened: 'circuit_opened',
  circuit_half_open: 'circuit_half_open',
  circuit_closed: 'circuit_closed',
  hold_set: 'hold_set',
  hold_released: 'hold_released',
  hold_expired: 'hold_expired',
  restart_succeeded: 'restart_executed',
  restart_failed: 'restart_executed',
  noop: 'observation',
  failure_counted: 'observation',
  recovered: 'observation',
  clean_exit: 'observation',
  external_restart: 'observation',
  not_pending: 'observation',
};

/** The audit event kind of a decision. Total over DecisionCode. */
export function eventKindOf(decision: DecisionCode): EventKind {
  return KIND[decision];
}

/** Churn counters as of `now` (the window is pruned to `now`, so a stale state reads right). */
export function countersOf(state: ServiceState, now: number, policy: Policy): CountersSnapshot {
  const { churn } = state;
  return {
    restartsInWindow: pruneWindow(churn.window, now, policy.windowSec).length,
    totalRestarts: churn.totalRestarts,
    blockedAttempts: blockedTotal(churn),
    circuitOpens: churn.circuitOpens,
  };
}
