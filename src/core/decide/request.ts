/**
 * restart_requested: something outside medic (an Alertmanager alert mapped to `restart`) asks
 * for a restart. It is an automatic restart in every respect: it passes the one gate (window,
 * cooldown, backoff) and is refused while held or while the circuit is open, counted like any
 * other refused attempt. A restart already under way absorbs it; a half-open circuit spends its
 * single probe restart on it.
 */
import { countBlocked } from '../state.js';
import type { Decision, Operator, ServiceState } from '../types.js';
import { type Ctx, make, requestAutoRestart, requestProbeRestart, secs } from './shared.js';

export function requestRestart(s: ServiceState, input: Operator, ctx: Ctx): Decision {
  const why = `${input.actor} asks for a restart (${input.reason})`;
  switch (s.tag) {
    case 'healthy':
    case 'cooldown':
    case 'deferred':
      // A deferred service defers again while its dependency is down (requestAutoRestart).
      return requestAutoRestart({ churn: s.churn, failures: s.failures }, ctx, why, 'skip');
    case 'restarting':
      return make('noop', s, `${why}; a restart is already under way.`);
    case 'budget_wait':
      return make('noop', s, `${why}; a restart already waits for the fleet budget (${s.group}).`);
    case 'half_open':
      if (!s.probeUsed) return requestProbeRestart(s, ctx, why);
      return make('noop', s, `${why}; the half-open probe restart was already used.`);
    case 'circuit_open':
      return make(
        'skip_circuit_open',
        { ...s, churn: countBlocked(s.churn, 'skip_circuit_open') },
        `${why}; restart refused, the circuit is open for another ${secs(s.reopensAt - ctx.now)}.`,
      );
    case 'held':
      return make(
        'skip_held',
        { ...s, churn: countBlocked(s.churn, 'skip_held') },
        `${why}; restart refused, held by ${s.actor} for another ${secs(s.until - ctx.now)} (${s.reason}).`,
      );
  }
}
