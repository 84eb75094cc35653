/**
 * Building blocks shared by the per-state deciders: the decision constructor, the automatic
 * restart request (through the gate) and circuit opening. Every automatic restart medic ever
 * issues is created by `requestAutoRestart` or `requestProbeRestart`, both of which call the
 * one `gate()`.
 */
import { DECISIONS } from '../codes.js';
import { earliestAutoRestartAt, gate } from '../gate.js';
import type { JitterKey } from '../jitter.js';
import type { Policy } from '../policy.js';
import { countBlocked, countCircuitOpen, recordRestart } from '../state.js';
import type {
  BlockReason,
  BudgetWaitState,
  Churn,
  CircuitOpenState,
  Decision,
  DecisionCode,
  DeferredState,
  Effect,
  HalfOpenState,
  ServiceState,
  Surroundings,
} from '../types.js';
import { heldByWindow, holdingWindow } from './maintenance.js';

export interface Ctx {
  now: number;
  policy: Policy;
  /** What the engine told decide() about dependencies and identity (may be empty). */
  env: Surroundings;
  /** The jitter seed: node and service (empty names when not given). */
  key: JitterKey;
}

/** Fields every state carries. */
export interface Base {
  churn: Churn;
  failures: number;
}

export function isTaken(code: DecisionCode): boolean {
  return DECISIONS[code].taken;
}

export function make(
  code: DecisionCode,
  next: ServiceState,
  detail: string,
  effects: Effect[] = [],
): Decision {
  return { decision: code, taken: DECISIONS[code].taken, next, effects, detail };
}

/** Back to healthy with the failure count cleared; the churn history stays (it ages out of the window). */
export function recovered(base: Pick<Base, 'churn'>, ctx: Ctx, why: string): Decision {
  return make('recovered', { tag: 'healthy', churn: base.churn, failures: 0, healthySince: ctx.now }, why);
}

/**
 * A probe restart's service is healthy again: half-open with the probe spent, closing after
 * `stableSec` of health (from restarting, or from a probe still waiting for the fleet budget).
 */
export function probeRecovered(
  base: Pick<Base, 'churn'>,
  openSec: number,
  approvedBy: string | null,
  ctx: Ctx,
  why: string,
): Decision {
  return make(
    'recovered',
    {
      tag: 'half_open',
      churn: base.churn,
      failures: 0,
      since: ctx.now,
      openSec,
      probeUsed: true,
      stableSince: ctx.now,
      approvedBy,
    },
    `${why}; the circuit closes after ${ctx.policy.stableSec}s of health.`,
  );
}

/** Seconds for humans: `60s`, `2.5s`. */
export function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** The failure count of a service that crashed: it wants a restart now, whatever the threshold. */
export function crashFailures(failures: number, policy: Policy): number {
  return Math.max(failures + 1, policy.failureThreshold);
}

/** Opens (or re-opens) the circuit for `openSec`, never before the gate could let a probe through. */
export function openCircuit(
  base: Base,
  ctx: Ctx,
  openSec: number,
  cause: CircuitOpenState['cause'],
  why: string,
): Decision {
  const churn = countCircuitOpen(base.churn);
  const reopensAt = Math.max(ctx.now + openSec * 1000, earliestAutoRestartAt(churn, ctx.policy, ctx.key));
  const next: CircuitOpenState = {
    tag: 'circuit_open',
    churn,
    failures: base.failures,
    openedAt: ctx.now,
    reopensAt,
    openSec,
    cause,
  };
  const hard = ctx.policy.circuit.hardStop;
  if (hard) next.stopped = true;
  const effects: Effect[] = hard ? [{ type: 'stop', reason: 'hard_stop' }] : [];
  return make(
    'circuit_opened',
    next,
    `${why}; circuit open for ${secs(reopensAt - ctx.now)}${hard ? ', unit stopped (hardStop)' : ''}.`,
    effects,
  );
}

/** Exit 78 (EX_CONFIG) opens the circuit at once, in every state: restarting cannot fix a config. */
export function fatalExit(base: Base, ctx: Ctx, openSec = ctx.policy.circuit.openSec): Decision {
  return openCircuit(base, ctx, openSec, 'fatal_exit', 'The service exited with 78 (EX_CONFIG)');
}

/** openSec after a failed half-open probe: doubled, capped at maxOpenSec. */
export function longerOpenSec(openSec: number, policy: Policy): number {
  return Math.min(openSec * 2, policy.circuit.maxOpenSec);
}

/**
 * What to do when the gate says "too soon":
 * - 'skip': a blocked attempt (skip_cooldown/skip_backoff, counted), state → cooldown;
 * - 'restart_failed': the outcome of a failed restart, state → cooldown, not counted as blocked
 *   (no new attempt was refused; the service simply waits out the delay);
 * - 'noop': a tick found the delay not yet over (e.g. after a policy change); just re-arm.
 */
export type OnWait = 'skip' | 'restart_failed' | 'noop';

/**
 * The service wants an automatic (non-probe) restart. Through the gate:
 * full window → circuit_opened; too soon → cooldown; else → restart + restarting.
 */
export function requestAutoRestart(base: Base, ctx: Ctx, why: string, onWait: OnWait): Decision {
  const { now, policy } = ctx;
  const down = ctx.env.dependencyDown;
  if (down) return deferRestart(base, ctx, why, down, null);
  const held = holdingWindow(ctx.env, now);
  if (held) {
    return make(
      'skip_maintenance',
      heldByWindow(base, held),
      `${why}; automatic restart held by maintenance window ${held.name} for another ` +
        `${secs(held.endsAt - now)} (handled by the policy when it ends).`,
    );
  }
  const g = gate(base.churn, now, policy, ctx.key);
  if (g.kind === 'full') {
    return openCircuit(
      base,
      ctx,
      policy.circuit.openSec,
      'churn',
      `${why}; ${base.churn.window.length} restarts within ${policy.windowSec}s reached maxRestarts ${policy.maxRestarts}`,
    );
  }
  if (g.kind === 'wait') {
    const reason: BlockReason = g.cause === 'backoff' ? 'skip_backoff' : 'skip_cooldown';
    const code: DecisionCode = onWait === 'skip' ? reason : onWait;
    const churn = onWait === 'skip' ? countBlocked(base.churn, reason) : base.churn;
    return make(
      code,
      { tag: 'cooldown', churn, failures: base.failures, until: g.until, cause: g.cause },
      `${why}; next automatic restart not before ${secs(g.until - now)} from now (${g.cause}).`,
    );
  }
  // A fleet budget (issue 16): the restart waits for the hub's lease (decide/budget.ts).
  if (policy.budget) return waitForBudget(base, ctx, why, false, policy.circuit.openSec);
  return make(
    'restart',
    {
      tag: 'restarting',
      churn: recordRestart(base.churn, now),
      failures: base.failures,
      initiator: 'auto',
      issuedAt: now,
      graceUntil: now + policy.startupGraceSec * 1000,
      probe: false,
      openSec: policy.circuit.openSec,
    },
    `${why}; restarting (${base.churn.window.length + 1}/${policy.maxRestarts} in window).`,
    [{ type: 'restart', initiator: 'auto', probe: false }],
  );
}

/**
 * A half-open circuit spends its single automatic probe restart. Through the same gate:
 * full window → circuit re-opens (same openSec: the probe never ran); too soon → blocked,
 * stays half-open (a tick retries when the delay ends); else → probe restart.
 */
export function requestProbeRestart(s: HalfOpenState, ctx: Ctx, why: string): Decision {
  const { now, policy } = ctx;
  const down = ctx.env.dependencyDown;
  if (down) {
    return make(
      'skip_dependency_down',
      { ...s, churn: countBlocked(s.churn, 'skip_dependency_down') },
      `${why}; probe restart deferred: dependency ${down.name} is ${down.state} (fix ${down.name} first).`,
    );
  }
  const held = holdingWindow(ctx.env, now);
  if (held) {
    // Stays half-open: the engine's tick at the window's end spends the probe (circuit.ts tick).
    return make(
      'skip_maintenance',
      { ...s, churn: countBlocked(s.churn, 'skip_maintenance') },
      `${why}; probe restart held by maintenance window ${held.name} for another ${secs(held.endsAt - now)}.`,
    );
  }
  const g = gate(s.churn, now, policy, ctx.key);
  if (g.kind === 'full') {
    return openCircuit(s, ctx, s.openSec, 'churn', `${why}; churn window still full, probe not possible`);
  }
  if (g.kind === 'wait') {
    const reason: BlockReason = g.cause === 'backoff' ? 'skip_backoff' : 'skip_cooldown';
    return make(
      reason,
      { ...s, churn: countBlocked(s.churn, reason) },
      `${why}; probe restart not before ${secs(g.until - now)} from now (${g.cause}).`,
    );
  }
  if (policy.budget) return waitForBudget(s, ctx, why, true, s.openSec);
  return make(
    'restart',
    {
      tag: 'restarting',
      churn: recordRestart(s.churn, now),
      failures: s.failures,
      initiator: 'auto',
      issuedAt: now,
      graceUntil: now + policy.startupGraceSec * 1000,
      probe: true,
      openSec: s.openSec,
    },
    `${why}; issuing the single half-open probe restart.`,
    [{ type: 'restart', initiator: 'auto', probe: true }],
  );
}

/**
 * A dependency is not healthy: the automatic restart is deferred (`skip_dependency_down`,
 * counted as a refusal but never entering the window or the backoff run). `since` keeps the
 * episode of a service that was already deferred.
 */
export function deferRestart(
  base: Base,
  ctx: Ctx,
  why: string,
  down: NonNullable<Ctx['env']['dependencyDown']>,
  since: number | null,
): Decision {
  const next: DeferredState = {
    tag: 'deferred',
    churn: countBlocked(base.churn, 'skip_dependency_down'),
    failures: base.failures,
    dependency: down.name,
    since: since ?? ctx.now,
    restartAt: null,
  };
  return make(
    'skip_dependency_down',
    next,
    `${why}; restart deferred: dependency ${down.name} is ${down.state} (fix ${down.name} first; restarted once it is healthy).`,
  );
}

/** A request with no answer (medic restarted meanwhile) is asked again after timeoutMs plus this. */
export const UNANSWERED_MS = 5000;

/** Asking again after an unanswered request: the answer normally comes within `timeoutMs`. */
export function askAgainAt(ctx: Ctx): number {
  return ctx.now + (ctx.policy.budget?.timeoutMs ?? 0) + UNANSWERED_MS;
}

/** The local gate said go: wait for the fleet budget's lease instead of restarting. */
export function waitForBudget(base: Base, ctx: Ctx, why: string, probe: boolean, openSec: number): Decision {
  const budget = ctx.policy.budget!;
  const next: BudgetWaitState = {
    tag: 'budget_wait',
    churn: base.churn,
    failures: base.failures,
    group: budget.group,
    since: ctx.now,
    askAt: askAgainAt(ctx),
    probe,
    openSec,
    denied: null,
    unreachable: null,
  };
  return make(
    'budget_requested',
    next,
    `${why}; asking the hub for a lease in fleet budget ${budget.group} before the ${probe ? 'probe ' : ''}restart.`,
    [{ type: 'request_budget', group: budget.group, operator: false }],
  );
}
