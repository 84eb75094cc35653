/**
 * cooldown: the service wants a restart but the cooldown/backoff delay has not passed.
 * - probe_ok → recovered (healthy);
 * - probe_failed / crash before `until` → skip_cooldown or skip_backoff (blocked, counted);
 * - a tick at/after `until`, or a failure after it → the gate (normally `restart`);
 * - exit 78 → circuit_opened (fatal_exit).
 */

import { countBlocked } from '../state.js';
import { type CooldownState, FATAL_EXIT } from '../types.js';
import { type Ctx, crashFailures, fatalExit, make, recovered, requestAutoRestart, secs } from './shared.js';
import type { StateInput } from './types.js';

function blockedOrGate(s: CooldownState, failures: number, ctx: Ctx, why: string) {
  if (ctx.now >= s.until) return requestAutoRestart({ churn: s.churn, failures }, ctx, why, 'skip');
  const reason = s.cause === 'backoff' ? 'skip_backoff' : 'skip_cooldown';
  return make(
    reason,
    { ...s, failures, churn: countBlocked(s.churn, reason) },
    `${why}; restart blocked by ${s.cause} for another ${secs(s.until - ctx.now)}.`,
  );
}

export function decideCooldown(s: CooldownState, input: StateInput, ctx: Ctx) {
  const { now, policy } = ctx;
  switch (input.type) {
    case 'probe_ok':
      return recovered(s, ctx, 'Probe passed during the cooldown; no restart needed.');
    case 'probe_failed':
      return blockedOrGate(s, s.failures + 1, ctx, 'Probe failed');
    case 'exited':
      if (input.code === FATAL_EXIT) {
        return fatalExit(s, ctx);
      }
      return blockedOrGate(
        s,
        crashFailures(s.failures, policy),
        ctx,
        `The service crashed (exit ${input.code})`,
      );
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Late restart outcome (${input.type}) during the cooldown.`);
    case 'tick':
      if (now < s.until) return make('noop', s, `Cooldown runs for ${secs(s.until - now)}.`);
      return requestAutoRestart(
        { churn: s.churn, failures: Math.max(s.failures, policy.failureThreshold) },
        ctx,
        `Cooldown over and the service is still unhealthy`,
        'noop',
      );
  }
}
