/**
 * held: an operator hold. medic never restarts automatically while held: a restart wish
 * (failures reaching the threshold, a crash, exit 78) is refused as skip_held (counted).
 * A tick at/after `until` ends the hold (hold_expired) and returns to the remembered circuit
 * (circuit_open, or half_open if its open period is over) or to healthy with failures reset.
 * force_restart still executes (commands.ts); hold/release are commands too.
 */
import { countBlocked } from '../state.js';
import type { HeldState } from '../types.js';
import { afterHold } from './commands.js';
import { type Ctx, crashFailures, make, secs } from './shared.js';
import type { StateInput } from './types.js';

function refused(s: HeldState, failures: number, ctx: Ctx, why: string) {
  return make(
    'skip_held',
    { ...s, failures, churn: countBlocked(s.churn, 'skip_held') },
    `${why}; restart refused, held by ${s.actor} for another ${secs(s.until - ctx.now)} (${s.reason}).`,
  );
}

export function decideHeld(s: HeldState, input: StateInput, ctx: Ctx) {
  const { now, policy } = ctx;
  switch (input.type) {
    case 'probe_ok':
      return make('noop', s.failures === 0 ? s : { ...s, failures: 0 }, 'Probe passed (held).');
    case 'probe_failed': {
      const failures = s.failures + 1;
      if (failures < policy.failureThreshold) {
        return make(
          'failure_counted',
          { ...s, failures },
          `Probe failed (${failures}/${policy.failureThreshold}).`,
        );
      }
      return refused(s, failures, ctx, `Probe failed ${failures} times in a row`);
    }
    case 'exited':
      return refused(s, crashFailures(s.failures, policy), ctx, `The service exited with ${input.code}`);
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Restart outcome (${input.type}) while held.`);
    case 'tick': {
      if (now < s.until) return make('noop', s, `Held for another ${secs(s.until - now)}.`);
      const next = afterHold(s, ctx);
      return make('hold_expired', next, `The hold by ${s.actor} expired; now ${next.tag}.`);
    }
  }
}
