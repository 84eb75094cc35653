/**
 * The initial state and the churn bookkeeping shared by every state.
 *
 * Churn rules (DESIGN.md, "guarded self-healing"):
 * - `window` holds the times of restarts of ANY initiator (auto, forced, approved, external)
 *   that are still inside the sliding `windowSec`: an entry `t` is dropped once
 *   `t <= now - windowSec*1000`, so the window is the half-open interval `(now - windowSec, now]`.
 * - `backoffLevel` counts restarts in the current backoff run; it returns to 0 after `stableSec`
 *   of uninterrupted health (applied lazily by `settle`, so no timer is needed).
 * - `blocked` counts restart wishes that a limit refused, by reason.
 *
 * Everything here is pure and allocation-light: it returns its argument unchanged when there is
 * nothing to do, because decide() runs these on every input.
 */
import type { Policy } from './policy.js';
import type { BlockReason, Churn, HealthyState, ServiceState } from './types.js';

/** A fresh, empty churn record. */
export function emptyChurn(): Churn {
  return { window: [], totalRestarts: 0, blocked: {}, circuitOpens: 0, lastRestartAt: null, backoffLevel: 0 };
}

/** A service medic has never seen: healthy (health not yet observed), no churn, no failures. */
export function initialState(): HealthyState {
  return { tag: 'healthy', healthySince: null, failures: 0, churn: emptyChurn() };
}

/** Drops window entries at or before `now - windowSec`. Returns the same array if none drop. */
export function pruneWindow(window: number[], now: number, windowSec: number): number[] {
  const cutoff = now - windowSec * 1000;
  let keep = 0;
  for (const t of window) if (t > cutoff) keep++;
  return keep === window.length ? window : window.filter((t) => t > cutoff);
}

/** Records `count` restarts (any initiator) at `now`: window, total, last time, backoff run. */
export function recordRestart(churn: Churn, now: number, count = 1): Churn {
  const window = churn.window.slice();
  for (let i = 0; i < count; i++) window.push(now);
  return {
    ...churn,
    window,
    totalRestarts: churn.totalRestarts + count,
    lastRestartAt: now,
    backoffLevel: churn.backoffLevel + count,
  };
}

/** Counts one refused restart wish under `reason`. */
export function countBlocked(churn: Churn, reason: BlockReason): Churn {
  return { ...churn, blocked: { ...churn.blocked, [reason]: (churn.blocked[reason] ?? 0) + 1 } };
}

/** Counts one circuit opening. */
export function countCircuitOpen(churn: Churn): Churn {
  return { ...churn, circuitOpens: churn.circuitOpens + 1 };
}

/** Total refused restart wishes over every reason. */
export function blockedTotal(churn: Churn): number {
  let total = 0;
  for (const n of Object.values(churn.blocked)) total += n ?? 0;
  return total;
}

/**
 * Brings a state up to `now` without any input: prunes the churn window and, for a healthy
 * service whose health has lasted `stableSec`, resets the backoff run (churn decay).
 * Returns the same object when nothing changed.
 */
export function settle<S extends ServiceState>(state: S, now: number, policy: Policy): S {
  let churn = state.churn;
  const window = pruneWindow(churn.window, now, policy.windowSec);
  if (window !== churn.window) churn = { ...churn, window };
  if (
    state.tag === 'healthy' &&
    churn.backoffLevel > 0 &&
    state.healthySince !== null &&
    now - state.healthySince >= policy.stableSec * 1000
  ) {
    churn = { ...churn, backoffLevel: 0 };
  }
  return churn === state.churn ? state : { ...state, churn };
}
