/**
 * Observations in the two states that refuse every automatic restart, circuit_open and held:
 * - probe_ok resets the failure count (noop);
 * - probe_failed is counted below failureThreshold (failure_counted); at or over it, and on any
 *   exit, the restart the service would want is refused and counted under `reason`;
 * - restart outcomes (of an operator restart) are recorded without a change;
 * - while the unit stands stopped by medic's hard stop, failed probes and exits are expected:
 *   counted up to failureThreshold, never refused (they are not restart attempts).
 * Each state decides `tick` itself; commands are decided in commands.ts.
 */
import { countBlocked } from '../state.js';
import type { CircuitOpenState, Decision, HeldState } from '../types.js';
import { type Ctx, crashFailures, make } from './shared.js';
import type { StateInput } from './types.js';

export interface Refusal<S> {
  reason: 'skip_circuit_open' | 'skip_held';
  /** The tail of every refusal's detail, e.g. "the circuit is open for another 90s". */
  why(s: S, ctx: Ctx): string;
  /** How the state is named in details ("while held"). */
  label: string;
}

export function observeWhileRefusing<S extends CircuitOpenState | HeldState>(
  s: S,
  input: Exclude<StateInput, { type: 'tick' }>,
  ctx: Ctx,
  refusal: Refusal<S>,
): Decision {
  const { failureThreshold } = ctx.policy;
  if (stoppedOnPurpose(s) && (input.type === 'probe_failed' || input.type === 'exited')) {
    return whileStopped(s, input.type, failureThreshold);
  }
  switch (input.type) {
    case 'probe_ok':
      return make('noop', s.failures === 0 ? s : { ...s, failures: 0 }, `Probe passed ${refusal.label}.`);
    case 'probe_failed': {
      const failures = s.failures + 1;
      if (failures < failureThreshold) {
        return make('failure_counted', { ...s, failures }, `Probe failed (${failures}/${failureThreshold}).`);
      }
      return refuse(s, failures, ctx, refusal, `Probe failed ${failures} times in a row`);
    }
    case 'exited':
      return refuse(
        s,
        crashFailures(s.failures, ctx.policy),
        ctx,
        refusal,
        `The service exited with ${input.code}`,
      );
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Restart outcome (${input.type}) ${refusal.label}.`);
  }
}

/** The unit stands stopped by medic's hard stop (and nothing started it since). */
function stoppedOnPurpose(s: CircuitOpenState | HeldState): boolean {
  return s.tag === 'circuit_open' ? s.stopped === true : s.circuit?.stopped === true;
}

/**
 * A failed probe or an exit of a unit medic stopped on purpose is expected, not a restart
 * attempt: nothing is refused or counted. Failures still climb to the threshold (so a half-open
 * circuit knows the service is down) and then stay there: the state stops changing.
 */
function whileStopped<S extends CircuitOpenState | HeldState>(
  s: S,
  type: 'probe_failed' | 'exited',
  threshold: number,
): Decision {
  const failures = Math.max(s.failures, Math.min(s.failures + 1, threshold));
  const what = type === 'exited' ? 'The unit exited' : 'Probe failed';
  const why = `${what}; the unit is stopped by medic (hard stop): not a restart attempt.`;
  if (failures === s.failures) return make('noop', s, why);
  return make('failure_counted', { ...s, failures }, why);
}

/** The restart the service wants is refused and counted under the state's reason. */
function refuse<S extends CircuitOpenState | HeldState>(
  s: S,
  failures: number,
  ctx: Ctx,
  refusal: Refusal<S>,
  what: string,
): Decision {
  return make(
    refusal.reason,
    { ...s, failures, churn: countBlocked(s.churn, refusal.reason) },
    `${what}; restart refused, ${refusal.why(s, ctx)}.`,
  );
}
