/**
 * healthy: probes pass (or nothing has failed enough yet).
 * - probe_ok → noop (health clock starts if it was not running);
 * - probe_failed → failure_counted below failureThreshold; at it → the gate;
 * - crash exit (≠ 0, ≠ 78) → the gate at once (a crash needs no threshold);
 * - exit 78 (EX_CONFIG) → circuit_opened (fatal_exit): restarting cannot fix a config error.
 */
import { FATAL_EXIT, type HealthyState } from '../types.js';
import { type Ctx, crashFailures, fatalExit, make, requestAutoRestart } from './shared.js';
import type { StateInput } from './types.js';

export function decideHealthy(s: HealthyState, input: StateInput, ctx: Ctx) {
  const { now, policy } = ctx;
  switch (input.type) {
    case 'probe_ok':
      if (s.failures === 0 && s.healthySince !== null) return make('noop', s, 'Probe passed.');
      return make('noop', { ...s, failures: 0, healthySince: s.healthySince ?? now }, 'Probe passed.');
    case 'probe_failed': {
      const failures = s.failures + 1;
      if (failures < policy.failureThreshold) {
        return make(
          'failure_counted',
          { ...s, failures, healthySince: null },
          `Probe failed (${failures}/${policy.failureThreshold}).`,
        );
      }
      return requestAutoRestart(
        { churn: s.churn, failures },
        ctx,
        `Probe failed ${failures} times in a row (threshold ${policy.failureThreshold})`,
        'skip',
      );
    }
    case 'exited':
      if (input.code === FATAL_EXIT) {
        return fatalExit(s, ctx);
      }
      return requestAutoRestart(
        { churn: s.churn, failures: crashFailures(s.failures, policy) },
        ctx,
        `The service crashed (exit ${input.code})`,
        'skip',
      );
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Late restart outcome (${input.type}) while healthy; nothing to do.`);
    case 'tick':
      return make('noop', s, 'Nothing due.');
  }
}
