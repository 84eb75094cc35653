/**
 * restarting: a restart was issued (or systemd restarted the unit); startup grace is running.
 * - probe_ok → recovered: healthy, or — for the half-open probe — half_open waiting `stableSec`;
 * - probe_failed inside the grace → failure_counted (failures inside grace don't act);
 * - the restart FAILED when: restart_failed arrives, the service crashes, or it is still not
 *   healthy when the grace ends (a tick at/after graceUntil, or a failed probe after it).
 *   A failed ordinary restart goes back through the gate (code `restart_failed` when it must wait
 *   — usually the cooldown — or `restart`/`circuit_opened`). A failed probe restart re-opens the
 *   circuit with openSec doubled (capped at maxOpenSec).
 * - exit 78 → circuit_opened (fatal_exit).
 */
import { FATAL_EXIT, type RestartingState } from '../types.js';
import {
  type Ctx,
  crashFailures,
  fatalExit,
  longerOpenSec,
  make,
  openCircuit,
  probeRecovered,
  recovered,
  requestAutoRestart,
  secs,
} from './shared.js';
import type { StateInput } from './types.js';

function restartFailed(s: RestartingState, failures: number, ctx: Ctx, why: string) {
  if (s.probe) {
    return openCircuit(
      { churn: s.churn, failures },
      ctx,
      longerOpenSec(s.openSec, ctx.policy),
      'probe_failed',
      `${why}: the probe restart failed`,
    );
  }
  return requestAutoRestart(
    { churn: s.churn, failures },
    ctx,
    `${why}: the restart failed`,
    'restart_failed',
  );
}

export function decideRestarting(s: RestartingState, input: StateInput, ctx: Ctx) {
  const { now, policy } = ctx;
  const threshold = Math.max(s.failures, policy.failureThreshold);
  switch (input.type) {
    case 'probe_ok':
      if (s.probe) {
        return probeRecovered(s, s.openSec, s.approvedBy ?? null, ctx, 'Probe restart came up healthy');
      }
      return recovered(s, ctx, `Healthy again ${secs(now - s.issuedAt)} after the restart.`);
    case 'probe_failed': {
      const failures = s.failures + 1;
      if (now < s.graceUntil) {
        return make(
          'failure_counted',
          { ...s, failures },
          `Probe failed inside startup grace (${secs(s.graceUntil - now)} left); not acting yet.`,
        );
      }
      return restartFailed(s, Math.max(failures, threshold), ctx, 'Still failing after the startup grace');
    }
    case 'exited':
      if (input.code === FATAL_EXIT) {
        const openSec = s.probe ? longerOpenSec(s.openSec, policy) : policy.circuit.openSec;
        return fatalExit(s, ctx, openSec);
      }
      return restartFailed(
        s,
        crashFailures(s.failures, policy),
        ctx,
        `Crashed (exit ${input.code}) after restart`,
      );
    case 'restart_succeeded':
      return make('restart_succeeded', s, 'The restart command succeeded; waiting for a passing probe.');
    case 'restart_failed':
      if (input.result === 'start-limit-hit') {
        // systemd refuses every start until `systemctl reset-failed` or its interval passes:
        // retrying would only fill the window with refused starts.
        return openCircuit(
          { churn: s.churn, failures: threshold },
          ctx,
          s.probe ? longerOpenSec(s.openSec, policy) : policy.circuit.openSec,
          'start_limit_hit',
          'systemd refused the start: start-limit-hit (more than StartLimitBurst starts within ' +
            'StartLimitIntervalSec); it refuses every start until `systemctl reset-failed` or the interval passes',
        );
      }
      return restartFailed(
        s,
        threshold,
        ctx,
        `Restart command failed${input.detail ? ` (${input.detail})` : ''}`,
      );
    case 'tick':
      if (now < s.graceUntil) return make('noop', s, `Startup grace runs for ${secs(s.graceUntil - now)}.`);
      return restartFailed(s, threshold, ctx, 'No passing probe within the startup grace');
  }
}
