/**
 * Longer than ~200 lines on purpose: one decider per operator command, side by side.
 *
 * Operator commands and the inputs that mean the same in every state: hold, release, approve,
 * force_restart, reset_circuit, external_restart and a clean exit (code 0).
 */
import { recordRestart } from '../state.js';
import type {
  CircuitOpenState,
  Decision,
  HalfOpenState,
  HeldCircuit,
  HeldState,
  Input,
  Operator,
  ServiceState,
} from '../types.js';
import { type Ctx, longerOpenSec, make, openCircuit } from './shared.js';

/** The circuit a new hold must remember, so that releasing it never closes an open circuit. */
function circuitToRemember(s: ServiceState, now: number): HeldCircuit | null {
  switch (s.tag) {
    case 'circuit_open':
      return {
        openedAt: s.openedAt,
        reopensAt: s.reopensAt,
        openSec: s.openSec,
        cause: s.cause,
        ...(s.stopped ? { stopped: true as const } : {}),
      };
    case 'half_open':
      // Already past its open period: on release it is half-open again.
      return { openedAt: s.since, reopensAt: s.since, openSec: s.openSec };
    case 'restarting':
    case 'budget_wait':
      return s.probe ? { openedAt: now, reopensAt: now, openSec: s.openSec } : null;
    case 'held':
      return s.circuit;
    default:
      return null;
  }
}

/** The same circuit without the hard-stop mark (the unit was started again). */
function running<C extends CircuitOpenState | HeldCircuit | null>(c: C): C {
  if (c === null || !c.stopped) return c;
  const { stopped: _, ...rest } = c;
  return rest as C;
}

/** hold{ttlSec}: from any state; a hold while held replaces the previous one (keeps its circuit). */
export function hold(s: ServiceState, input: Operator & { ttlSec: number }, ctx: Ctx): Decision {
  const ttlMs = Number.isFinite(input.ttlSec) && input.ttlSec > 0 ? input.ttlSec * 1000 : 0;
  const next: HeldState = {
    tag: 'held',
    churn: s.churn,
    failures: s.failures,
    actor: input.actor,
    reason: input.reason,
    setAt: ctx.now,
    until: ctx.now + ttlMs,
    circuit: circuitToRemember(s, ctx.now),
  };
  const verb = s.tag === 'held' ? 'replaced the hold' : 'held automatic restarts';
  return make('hold_set', next, `${input.actor} ${verb} for ${input.ttlSec}s: ${input.reason}.`);
}

/** Where a service goes when its hold ends: back to its remembered circuit, or healthy. */
export function afterHold(s: HeldState, ctx: Ctx): ServiceState {
  const c = s.circuit;
  if (c === null) return { tag: 'healthy', churn: s.churn, failures: 0, healthySince: null };
  if (c.reopensAt > ctx.now) {
    const open: CircuitOpenState = {
      tag: 'circuit_open',
      churn: s.churn,
      failures: 0,
      openedAt: c.openedAt,
      reopensAt: c.reopensAt,
      openSec: c.openSec,
      cause: c.cause ?? 'churn',
    };
    if (c.stopped) open.stopped = true;
    return open;
  }
  const half: HalfOpenState = {
    tag: 'half_open',
    churn: s.churn,
    failures: 0,
    since: ctx.now,
    openSec: c.openSec,
    probeUsed: false,
    stableSince: null,
    approvedBy: null,
  };
  return half;
}

export function release(s: ServiceState, input: Operator & { onlyIfActor?: string }, ctx: Ctx): Decision {
  if (s.tag !== 'held') return make('not_pending', s, `No hold to release (state ${s.tag}).`);
  if (input.onlyIfActor !== undefined && s.actor !== input.onlyIfActor) {
    return make('not_pending', s, `The hold is ${s.actor}'s, not ${input.onlyIfActor}'s; it stays.`);
  }
  const next = afterHold(s, ctx);
  return make('hold_released', next, `${input.actor} released the hold: ${input.reason}; now ${next.tag}.`);
}

/** force_restart: always executed (admin override), counted as churn; holds and circuits stay. */
export function forceRestart(s: ServiceState, input: Operator, ctx: Ctx): Decision {
  const { now, policy } = ctx;
  const churn = recordRestart(s.churn, now);
  let next: ServiceState;
  // The restart starts a unit medic may have stopped (hard stop): its failures count again.
  if (s.tag === 'held') next = { ...s, churn, circuit: running(s.circuit) };
  else if (s.tag === 'circuit_open') next = { ...running(s), churn };
  else if (s.tag === 'half_open') next = { ...s, churn, stableSince: null };
  else {
    next = {
      tag: 'restarting',
      churn,
      failures: s.failures,
      initiator: 'forced',
      issuedAt: now,
      graceUntil: now + policy.startupGraceSec * 1000,
      probe: s.tag === 'restarting' && s.probe,
      openSec: s.tag === 'restarting' ? s.openSec : policy.circuit.openSec,
    };
  }
  return make(
    'restart_forced',
    next,
    `${input.actor} forced a restart: ${input.reason} (counts as churn; ${churn.window.length} in window).`,
    [{ type: 'restart', initiator: 'forced', probe: false }],
  );
}

/** approve: the one probe restart of an open or half-open (probe unused) circuit. */
export function approve(s: ServiceState, input: Operator, ctx: Ctx): Decision {
  const pending = s.tag === 'circuit_open' || (s.tag === 'half_open' && !s.probeUsed);
  if (!pending) return make('not_pending', s, `No approval pending (state ${s.tag}).`);
  const { now, policy } = ctx;
  return make(
    'restart_approved',
    {
      tag: 'restarting',
      churn: recordRestart(s.churn, now),
      failures: s.failures,
      initiator: 'approved',
      issuedAt: now,
      graceUntil: now + policy.startupGraceSec * 1000,
      probe: true,
      openSec: s.openSec,
      approvedBy: input.actor,
    },
    `${input.actor} approved one probe restart: ${input.reason}.`,
    [{ type: 'restart', initiator: 'approved', probe: true }],
  );
}

/**
 * reset_circuit: closes an open/half-open circuit (also one remembered by a hold, or a probe
 * restart in flight) and resets the backoff run. The churn window is NOT cleared: those restarts
 * happened, and clearing them would let automatic restarts exceed maxRestarts (promise 1).
 */
export function resetCircuit(s: ServiceState, input: Operator, _ctx: Ctx): Decision {
  const churn = { ...s.churn, backoffLevel: 0 };
  const why = `${input.actor} reset the circuit: ${input.reason}`;
  switch (s.tag) {
    case 'circuit_open':
    case 'half_open':
      return make('circuit_closed', { tag: 'healthy', churn, failures: 0, healthySince: null }, `${why}.`);
    case 'restarting':
      if (!s.probe) break;
      return make(
        'circuit_closed',
        { ...s, churn, probe: false },
        `${why}; the restart in flight continues.`,
      );
    case 'held':
      if (s.circuit === null) break;
      return make('circuit_closed', { ...s, churn, circuit: null }, `${why}; the hold stays in force.`);
  }
  return make('not_pending', s, `No circuit to reset (state ${s.tag}).`);
}

/**
 * external_restart{count}: systemd's own Restart= restarted the unit. The restarts count in the
 * same window as medic's, so medic and systemd never multiply budgets: if the window now holds
 * more than maxRestarts, the circuit opens (stopping the unit when hardStop).
 */
export function externalRestart(s: ServiceState, count: number, ctx: Ctx): Decision {
  const { now, policy } = ctx;
  if (!Number.isInteger(count) || count <= 0)
    return make('noop', s, `Ignored external restart count ${count}.`);
  const churn = recordRestart(s.churn, now, count);
  const base = { churn, failures: 0 };
  const what = `systemd restarted the unit ${count}× by itself`;
  if (s.tag !== 'held' && s.tag !== 'circuit_open' && churn.window.length > policy.maxRestarts) {
    const probeFailed = s.tag === 'half_open' || (s.tag === 'restarting' && s.probe);
    const openSec = probeFailed ? longerOpenSec(s.openSec, policy) : policy.circuit.openSec;
    return openCircuit(
      base,
      ctx,
      openSec,
      probeFailed ? 'probe_failed' : 'churn',
      `${what}; ${churn.window.length} restarts within ${policy.windowSec}s exceed maxRestarts ${policy.maxRestarts}`,
    );
  }
  let next: ServiceState;
  if (s.tag === 'held') next = { ...s, churn, failures: 0, circuit: running(s.circuit) };
  else if (s.tag === 'circuit_open') next = { ...running(s), churn, failures: 0 };
  else if (s.tag === 'half_open') next = { ...s, churn, failures: 0, stableSince: null };
  else {
    next = {
      tag: 'restarting',
      churn,
      failures: 0,
      initiator: 'external',
      issuedAt: now,
      graceUntil: now + policy.startupGraceSec * 1000,
      probe: s.tag === 'restarting' && s.probe,
      openSec: s.tag === 'restarting' ? s.openSec : policy.circuit.openSec,
    };
  }
  return make('external_restart', next, `${what} (${churn.window.length} in window); watching startup.`);
}

/** exited{code: 0}: a clean exit is not churn and triggers nothing; the state is unchanged. */
export function cleanExit(s: ServiceState): Decision {
  return make('clean_exit', s, 'The service exited cleanly (code 0): not a crash, no restart.');
}

export type CommandInput = Extract<
  Input,
  {
    type:
      | 'hold'
      | 'release'
      | 'approve'
      | 'force_restart'
      | 'reset_circuit'
      | 'external_restart'
      | 'restart_requested';
  }
>;
