/**
 * restart_with{service}: `service` restarted (automatically, approved or forced) and lists this
 * one in its `restartWith` (Erlang's rest_for_one). The companion asks for an automatic restart
 * of its own, through its own guards:
 * - healthy, cooldown, deferred → the gate (restart, skip_cooldown/skip_backoff, circuit_opened),
 *   or deferred when one of its own dependencies is down;
 * - restarting → noop (already restarting: one restart serves both);
 * - held → skip_held; circuit_open or half_open → skip_circuit_open (only the circuit's own
 *   probe or an operator restarts it). Refusals are counted like any other.
 */
import { countBlocked } from '../state.js';
import type { BlockReason, Decision, ServiceState } from '../types.js';
import { type Ctx, make, requestAutoRestart } from './shared.js';

function refuse(s: ServiceState, reason: BlockReason, why: string): Decision {
  return make(reason, { ...s, churn: countBlocked(s.churn, reason) }, why);
}

export function restartWith(s: ServiceState, input: { service: string }, ctx: Ctx): Decision {
  const why = `${input.service} restarted and lists this service in restartWith`;
  switch (s.tag) {
    case 'restarting':
      return make('noop', s, `${why}; already restarting.`);
    case 'budget_wait':
      return make('noop', s, `${why}; a restart already waits for the fleet budget (${s.group}).`);
    case 'held':
      return refuse(s, 'skip_held', `${why}; not restarted: held by ${s.actor} (${s.reason}).`);
    case 'circuit_open':
    case 'half_open':
      return refuse(
        s,
        'skip_circuit_open',
        `${why}; not restarted: its circuit is ${s.tag === 'circuit_open' ? 'open' : 'half-open'}.`,
      );
    default:
      return requestAutoRestart({ churn: s.churn, failures: s.failures }, ctx, why, 'skip');
  }
}
