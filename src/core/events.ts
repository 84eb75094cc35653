/**
 * How decisions appear in the audit log: the event kind of each decision code, and the
 * counters snapshot copied into each decision event (and its log line).
 */

import type { CountersSnapshot } from './audit.js';
import { DECISIONS, type EventKind } from './codes.js';
import type { Policy } from './policy.js';
import { blockedTotal, pruneWindow } from './state.js';
import type { DecisionCode, ServiceState } from './types.js';

/** The audit event kind of a decision. Total over DecisionCode. */
export function eventKindOf(decision: DecisionCode): EventKind {
  return DECISIONS[decision].kind;
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
