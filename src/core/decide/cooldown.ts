/**
 * cooldown: the service wants a restart but the cooldown/backoff delay has not passed.
 * - probe_ok → recovered (healthy);
 * - probe_failed / crash before `until` → skip_cooldown or skip_backoff (blocked, counted);
 * - a tick at/after `until`, or a failure after it → the gate (normally `restart`);
 * - exit 78 → circuit_opened (fatal_exit).
 * cause `maintenance` (a hold window, decide/maintenance.ts): refusals are `skip_maintenance`;
 * the wait ends at `until` or as soon as no hold window applies any more.
 */

import { countBlocked } from '../state.js';
import { type CooldownState, FATAL_EXIT } from '../types.js';
import { holdingWindow } from './maintenance.js';
import { type Ctx, crashFailures, fatalExit, make, recovered, requestAutoRestart, secs } from './shared.js';
import type { StateInput } from './types.js';

/**
 * The wait is over at `until`, or — for a maintenance wait — as soon as no hold window applies
 * (cancelled early, or shortened): the engine ticks the service then.
 */
function over(s: CooldownState, ctx: Ctx): boolean {
  return ctx.now >= s.until || (s.cause === 'maintenance' && !holdingWindow(ctx.env, ctx.now));
}

function blockedOrGate(s: CooldownState, failures: number, ctx: Ctx, why: string) {
  if (over(s, ctx)) return requestAutoRestart({ churn: s.churn, failures }, ctx, why, 'skip');
  const reason =
    s.cause === 'backoff' ? 'skip_backoff' : s.cause === 'maintenance' ? 'skip_maintenance' : 'skip_cooldown';
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
    case 'tick': {
      if (!over(s, ctx)) return make('noop', s, `Cooldown runs for ${secs(s.until - now)}.`);
      // The deadline came but a hold window still applies: it was extended, or its end — wall
      // time, re-read on engine time at every decision — lies a few ms later than this wait's
      // copy of it. No new failure came in: the wait is re-aimed at the window's end, not
      // refused again (episode.ts commits such a re-aim without writing it).
      const held = s.cause === 'maintenance' ? holdingWindow(ctx.env, now) : undefined;
      if (held) {
        return make(
          'noop',
          { ...s, until: held.endsAt },
          `Maintenance window ${held.name} runs for another ${secs(held.endsAt - now)}.`,
        );
      }
      return requestAutoRestart(
        { churn: s.churn, failures: Math.max(s.failures, policy.failureThreshold) },
        ctx,
        s.cause === 'maintenance'
          ? 'Maintenance window over and the service is still unhealthy'
          : `Cooldown over and the service is still unhealthy`,
        'noop',
      );
    }
  }
}
