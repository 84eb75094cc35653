/**
 * nextWakeAt(state, policy): the earliest time at which a `tick` would change something, or
 * null when only a real input can. The engine schedules one tick there (a time in the past
 * means "tick now"). A tick at the returned time never answers `noop` with an unchanged state.
 *
 * - restarting: end of the startup grace;
 * - cooldown: end of the delay;
 * - circuit_open: reopensAt;
 * - half_open: the point where health lasted stableSec, or — probe unused and the service
 *   unhealthy — when the gate would let the probe restart through;
 * - held: hold expiry;
 * - budget_wait: when to ask the hub (again);
 * - deferred: the restart after the dependency recovered (null while it is down);
 * - healthy: null (backoff decay is applied lazily by decide()).
 */
import { earliestAutoRestartAt } from './gate.js';
import { type JitterKey, NO_KEY } from './jitter.js';
import type { Policy } from './policy.js';
import type { ServiceState } from './types.js';

export function nextWakeAt(state: ServiceState, policy: Policy, key: JitterKey = NO_KEY): number | null {
  switch (state.tag) {
    case 'healthy':
      return null;
    case 'restarting':
      return state.graceUntil;
    case 'cooldown':
      return state.until;
    case 'circuit_open':
      return state.reopensAt;
    case 'held':
      return state.until;
    case 'budget_wait':
      // When to ask the hub (again): its retry after a denial, or a re-ask of an unanswered request.
      return state.askAt;
    case 'deferred':
      // While the dependency is down only an input (or the engine's nudge on its recovery) acts.
      return state.restartAt;
    case 'half_open': {
      let at: number | null = state.stableSince === null ? null : state.stableSince + policy.stableSec * 1000;
      if (!state.probeUsed && state.failures >= policy.failureThreshold) {
        const probeAt = Math.max(state.since, earliestAutoRestartAt(state.churn, policy, key));
        at = at === null ? probeAt : Math.min(at, probeAt);
      }
      return at;
    }
  }
}
