/**
 * Observations in the two states that refuse every automatic restart, circuit_open and held:
 * - probe_ok resets the failure count (noop);
 * - probe_failed is counted below failureThreshold (failure_counted); at or over it, and on any
 *   exit, the restart the service would want is refused and counted under `reason`;
 * - restart outcomes (of an operator restart) are recorded without a change.
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
