/**
 * circuit_open and half_open.
 *
 * circuit_open: no automatic restart at all. Failures at/over the threshold and crashes are
 * refused as skip_circuit_open (counted). A tick at/after `reopensAt` moves to half_open — unless
 * systemd's own restarts meanwhile filled the window again, in which case `reopensAt` moves to
 * when the window has room (noop). `approve` (commands.ts) issues the probe restart directly.
 *
 * half_open: exactly one probe restart. While the probe is unused, the first time the service
 * is unhealthy (failures reach the threshold — usually already the case — or it crashes) the
 * probe restart goes through the gate. Health for `stableSec` (since the probe came up, or since
 * the service proved healthy on its own) closes the circuit: healthy, backoff run reset. After
 * the probe was used, failing again (threshold reached or a crash) re-opens the circuit with
 * openSec doubled, capped at maxOpenSec.
 */
import { earliestAutoRestartAt } from '../gate.js';
import { type CircuitOpenState, FATAL_EXIT, type HalfOpenState } from '../types.js';
import { observeWhileRefusing, type Refusal } from './refusing.js';
import {
  type Ctx,
  crashFailures,
  fatalExit,
  longerOpenSec,
  make,
  openCircuit,
  requestProbeRestart,
  secs,
} from './shared.js';
import type { StateInput } from './types.js';

const OPEN: Refusal<CircuitOpenState> = {
  reason: 'skip_circuit_open',
  why: (s, ctx) => `the circuit is open for another ${secs(s.reopensAt - ctx.now)}`,
  label: 'while the circuit is open',
};

export function decideCircuitOpen(s: CircuitOpenState, input: StateInput, ctx: Ctx) {
  if (input.type !== 'tick') return observeWhileRefusing(s, input, ctx, OPEN);
  const { now, policy } = ctx;
  if (now < s.reopensAt) return make('noop', s, `Circuit open for another ${secs(s.reopensAt - now)}.`);
  const earliest = earliestAutoRestartAt(s.churn, policy, ctx.key);
  if (earliest > now) {
    return make(
      'noop',
      { ...s, reopensAt: earliest },
      `Churn window still full; circuit stays open for another ${secs(earliest - now)}.`,
    );
  }
  const next: HalfOpenState = {
    tag: 'half_open',
    churn: s.churn,
    failures: s.failures,
    since: now,
    openSec: s.openSec,
    probeUsed: false,
    stableSince: null,
    approvedBy: null,
  };
  return make('circuit_half_open', next, `Open period over; one probe restart is allowed.`);
}

function closed(s: HalfOpenState, stableSince: number, ctx: Ctx) {
  return make(
    'circuit_closed',
    { tag: 'healthy', churn: { ...s.churn, backoffLevel: 0 }, failures: 0, healthySince: stableSince },
    `Healthy for ${secs(ctx.now - stableSince)} (stableSec ${ctx.policy.stableSec}); circuit closed, backoff reset.`,
  );
}

function stableAt(s: HalfOpenState, ctx: Ctx): boolean {
  return s.stableSince !== null && ctx.now - s.stableSince >= ctx.policy.stableSec * 1000;
}

export function decideHalfOpen(s: HalfOpenState, input: StateInput, ctx: Ctx) {
  const { now, policy } = ctx;
  switch (input.type) {
    case 'probe_ok': {
      const stableSince = s.stableSince ?? now;
      if (now - stableSince >= policy.stableSec * 1000) return closed(s, stableSince, ctx);
      const next = s.failures === 0 && s.stableSince !== null ? s : { ...s, failures: 0, stableSince };
      return make(
        'noop',
        next,
        `Probe passed; healthy for ${secs(now - stableSince)} of ${policy.stableSec}s.`,
      );
    }
    case 'probe_failed': {
      const failures = s.failures + 1;
      const next = { ...s, failures, stableSince: null };
      if (failures < policy.failureThreshold) {
        return make(
          'failure_counted',
          next,
          `Probe failed (${failures}/${policy.failureThreshold}) while half-open.`,
        );
      }
      if (s.probeUsed) {
        return openCircuit(
          next,
          ctx,
          longerOpenSec(s.openSec, policy),
          'probe_failed',
          'Failing again after the probe restart',
        );
      }
      return requestProbeRestart(next, ctx, `Probe failed ${failures} times while half-open`);
    }
    case 'exited': {
      const next = { ...s, failures: crashFailures(s.failures, policy), stableSince: null };
      if (input.code === FATAL_EXIT) {
        const openSec = s.probeUsed ? longerOpenSec(s.openSec, policy) : s.openSec;
        return fatalExit(next, ctx, openSec);
      }
      if (s.probeUsed) {
        return openCircuit(
          next,
          ctx,
          longerOpenSec(s.openSec, policy),
          'probe_failed',
          `Crashed (exit ${input.code}) after the probe restart`,
        );
      }
      return requestProbeRestart(next, ctx, `The service crashed (exit ${input.code}) while half-open`);
    }
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Restart outcome (${input.type}) while half-open.`);
    case 'tick':
      if (stableAt(s, ctx)) return closed(s, s.stableSince!, ctx);
      if (
        !s.probeUsed &&
        s.failures >= policy.failureThreshold &&
        earliestAutoRestartAt(s.churn, policy, ctx.key) <= now
      ) {
        return requestProbeRestart(s, ctx, 'Half-open and still unhealthy');
      }
      return make('noop', s, 'Half-open; nothing due.');
  }
}
