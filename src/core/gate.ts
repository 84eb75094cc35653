/**
 * The restart gate: the ONE check every automatic restart passes (promises 1 and 2).
 *
 * Order matters: the churn window is checked first, so a service that has used its budget
 * opens the circuit instead of waiting out a cooldown only to be refused afterwards.
 * Operator restarts (forced, approved) do not pass the gate, but they are recorded as churn
 * and therefore narrow what the gate allows next.
 */

import { type JitterKey, NO_KEY, stretchSec } from './jitter.js';
import type { Policy } from './policy.js';
import { restartSpacingSec } from './policy.js';
import type { Churn } from './types.js';

export type GateResult =
  /** An automatic restart may happen now. */
  | { kind: 'go' }
  /** `maxRestarts` restarts already happened inside `windowSec`: open the circuit. */
  | { kind: 'full' }
  /** Too soon after the previous restart; wait until `until`. */
  | { kind: 'wait'; until: number; cause: 'cooldown' | 'backoff' };

/**
 * Minimal spacing (seconds) between the last restart and the next automatic one:
 * `max(cooldownSec, min(initialSec × factor^(n−1), maxSec))` with n = the backoff level (at
 * least 1, so the cooldown applies even after churn decay), stretched by the policy's jitter
 * for this service and restart count (jitter.ts; never shorter). 0 when nothing ever restarted.
 */
export function restartDelaySec(churn: Churn, policy: Policy, key: JitterKey = NO_KEY): number {
  if (churn.lastRestartAt === null) return 0;
  const base = restartSpacingSec(policy, Math.max(1, churn.backoffLevel));
  return stretchSec(base, policy.jitter, key, churn.totalRestarts);
}

/** Which limit the current delay comes from: plain cooldown, or backoff above it (before jitter). */
export function delayCause(churn: Churn, policy: Policy): 'cooldown' | 'backoff' {
  if (churn.lastRestartAt === null) return 'cooldown';
  return restartSpacingSec(policy, Math.max(1, churn.backoffLevel)) > policy.cooldownSec
    ? 'backoff'
    : 'cooldown';
}

/** Decides whether an automatic restart may happen at `now`. `churn` must be pruned to `now`. */
export function gate(churn: Churn, now: number, policy: Policy, key: JitterKey = NO_KEY): GateResult {
  if (churn.window.length >= policy.maxRestarts) return { kind: 'full' };
  if (churn.lastRestartAt !== null) {
    const until = churn.lastRestartAt + restartDelaySec(churn, policy, key) * 1000;
    if (now < until) return { kind: 'wait', until, cause: delayCause(churn, policy) };
  }
  return { kind: 'go' };
}

/**
 * Earliest time at which the gate could answer `go` if nothing else restarts the service:
 * the window must have room (its `maxRestarts`-th newest entry aged out) and the delay since
 * the last restart must have passed. Used to place `reopensAt` and to schedule ticks.
 */
export function earliestAutoRestartAt(churn: Churn, policy: Policy, key: JitterKey = NO_KEY): number {
  let at = Number.NEGATIVE_INFINITY;
  const n = churn.window.length;
  if (n >= policy.maxRestarts) {
    // Sorting a copy keeps this right even if inputs ever arrived out of order.
    const sorted = churn.window.slice().sort((a, b) => a - b);
    at = sorted[n - policy.maxRestarts] + policy.windowSec * 1000;
  }
  if (churn.lastRestartAt !== null) {
    at = Math.max(at, churn.lastRestartAt + restartDelaySec(churn, policy, key) * 1000);
  }
  return at;
}
