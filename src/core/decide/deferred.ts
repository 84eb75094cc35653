/**
 * deferred: the service wants an automatic restart but a dependency (`dependsOn`) is not
 * healthy (the engine says which in `env.dependencyDown`). Nothing restarts it meanwhile.
 * - probe_ok → recovered (healthy): it came back by itself, no restart;
 * - exit 78 → circuit_opened (fatal_exit): a config error does not wait for anyone;
 * - failures and crashes while a dependency is down → skip_dependency_down (counted; repeats in
 *   the same episode are compacted to one written event);
 * - the first input that finds every dependency healthy (the engine sends a tick to the
 *   dependents when a dependency recovers) schedules the one restart at
 *   `now + recoverySpreadSec` (`dependency_recovered`), or issues it at once when the spread is
 *   0 (jitter 0); due → through the gate like any automatic restart;
 * - a dependency down again before the restart is due → the restart is postponed again.
 */
import { stretchSec } from '../jitter.js';
import type { Policy } from '../policy.js';
import { countBlocked } from '../state.js';
import { type DeferredState, FATAL_EXIT } from '../types.js';
import { type Ctx, crashFailures, fatalExit, make, recovered, requestAutoRestart, secs } from './shared.js';
import type { StateInput } from './types.js';

/**
 * How long after its dependency recovered a deferred dependent is restarted: the part of the
 * jitter stretch of one cooldown, `cooldownSec × jitter × u` with u ∈ [0, 1) fixed by node,
 * service and restart count — so 50 dependents of one database do not all start in the same
 * instant, and the same names give the same spread on replay. 0 when jitter is 0.
 */
export function recoverySpreadSec(policy: Policy, ctx: Pick<Ctx, 'key'>, count: number): number {
  return stretchSec(policy.cooldownSec, policy.jitter, ctx.key, count) - policy.cooldownSec;
}

function due(s: DeferredState, failures: number, ctx: Ctx, why: string, isTick: boolean) {
  const { now, policy } = ctx;
  const down = ctx.env.dependencyDown;
  if (down) {
    if (isTick) {
      if (s.restartAt === null && s.dependency === down.name)
        return make('noop', s, `Waiting for ${down.name}.`);
      return make(
        'noop',
        { ...s, dependency: down.name, restartAt: null },
        `Dependency ${down.name} is ${down.state} again; the restart waits for it.`,
      );
    }
    return make(
      'skip_dependency_down',
      {
        ...s,
        failures,
        dependency: down.name,
        restartAt: null,
        churn: countBlocked(s.churn, 'skip_dependency_down'),
      },
      `${why}; restart deferred: dependency ${down.name} is ${down.state} (fix ${down.name} first).`,
    );
  }
  const wants = Math.max(failures, policy.failureThreshold);
  if (s.restartAt === null) {
    const spreadMs = Math.round(recoverySpreadSec(policy, ctx, s.churn.totalRestarts) * 1000);
    if (spreadMs > 0) {
      return make(
        'dependency_recovered',
        { ...s, failures, restartAt: now + spreadMs },
        `Dependency ${s.dependency} is healthy again; restart in ${secs(spreadMs)} (spread by jitter).`,
      );
    }
  } else if (now < s.restartAt) {
    if (isTick && failures === s.failures)
      return make('noop', s, `Restart due in ${secs(s.restartAt - now)}.`);
    return make(
      'failure_counted',
      { ...s, failures },
      `${why}; the restart after ${s.dependency} recovered is due in ${secs(s.restartAt - now)}.`,
    );
  }
  return requestAutoRestart(
    { churn: s.churn, failures: wants },
    ctx,
    `Dependency ${s.dependency} is healthy again and the service is still unhealthy`,
    isTick ? 'noop' : 'skip',
  );
}

export function decideDeferred(s: DeferredState, input: StateInput, ctx: Ctx) {
  const { policy } = ctx;
  switch (input.type) {
    case 'probe_ok':
      return recovered(s, ctx, 'Probe passed while the restart was deferred; no restart needed.');
    case 'probe_failed':
      return due(s, s.failures + 1, ctx, 'Probe failed', false);
    case 'exited':
      if (input.code === FATAL_EXIT) {
        return fatalExit(s, ctx);
      }
      return due(
        s,
        crashFailures(s.failures, policy),
        ctx,
        `The service crashed (exit ${input.code})`,
        false,
      );
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Late restart outcome (${input.type}) while deferred.`);
    case 'tick':
      return due(s, s.failures, ctx, 'Tick', true);
  }
}
