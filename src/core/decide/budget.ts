/**
 * The fleet restart budget in decide() (issue 16). A policy with `budget` makes every automatic
 * restart that passed the local gate ask the hub first: instead of the restart, decide() returns
 * a `request_budget` effect and the state `budget_wait`; the hub's answer comes back as an input.
 * - `budget_granted` → the restart, holding the lease (`restarting.lease`);
 * - `budget_denied` → `skip_fleet_budget` (written once per episode, repeats counted by
 *   core/episode.ts), asking again at the hub's retry but at most `RECHECK_MS` per round of
 *   `maxConcurrent` services ahead (the hub cannot know when a lease will be finished), stretched
 *   by the policy's jitter;
 * - `budget_unreachable` → `onHubUnreachable: local` restarts under the local limits alone;
 *   `wait` restarts nothing automatically (`skip_fleet_budget`), asking again every
 *   `UNREACHABLE_RETRY_MS` — or, while the agent watches for the slot through the hub's
 *   notification (`notified`: a timed-out request may well have reached the hub), only as a
 *   safety net after `NOTIFIED_RECHECK_MS`.
 * - `budget_slot_free` (the hub's slot notification, or its loss) → asks again at once; while the
 *   notification is held open (`budget_denied.notified`) the re-ask is only a safety net
 *   (`NOTIFIED_RECHECK_MS`).
 * Operator restarts (forced, approved) never wait: they run at once and a `request_budget` with
 * `operator: true` only counts them. A lease is finished (`finish_budget`) as soon as the
 * restarting state it was granted for ends — healthy or failed, whatever ended it — and a grant
 * nobody waits for any more is returned at once (`budget_released`).
 */
import { stretchSec } from '../jitter.js';
import { countBlocked, recordRestart } from '../state.js';
import type {
  BudgetLease,
  BudgetNumbers,
  BudgetWaitState,
  Decision,
  Effect,
  Input,
  RestartingState,
  ServiceState,
} from '../types.js';
import { FATAL_EXIT } from '../types.js';
import {
  askAgainAt,
  type Ctx,
  crashFailures,
  fatalExit,
  make,
  probeRecovered,
  recovered,
  secs,
} from './shared.js';
import type { StateInput } from './types.js';

/** A denied service asks again at the hub's retry, but never later than this after the denial. */
export const RECHECK_MS = 1000;
/**
 * With the hub's slot notification held open (`budget_denied.notified`), the re-ask is a safety
 * net only (a lease lapsing at its TTL sends no notification): this long after the denial. Well
 * below any lease TTL (≥ 60 s), so the hub never forgets the waiter as silent.
 */
export const NOTIFIED_RECHECK_MS = 30_000;
/** With the hub unreachable and `onHubUnreachable: wait`, the hub is asked again this often. */
export const UNREACHABLE_RETRY_MS = 10_000;
type BudgetAnswer = Extract<Input, { type: 'budget_granted' | 'budget_denied' | 'budget_unreachable' }>;

/** The restart a budget wait was for (the gate already let it through when the wait began). */
function startRestart(s: BudgetWaitState, ctx: Ctx, why: string, lease: BudgetLease | null): Decision {
  const { now, policy } = ctx;
  const next: RestartingState = {
    tag: 'restarting',
    churn: recordRestart(s.churn, now),
    failures: s.failures,
    initiator: 'auto',
    issuedAt: now,
    graceUntil: now + policy.startupGraceSec * 1000,
    probe: s.probe,
    openSec: s.openSec,
  };
  if (lease) next.lease = lease;
  return make(
    'restart',
    next,
    `${why}; ${s.probe ? 'issuing the half-open probe restart' : 'restarting'} (${s.churn.window.length + 1}/${policy.maxRestarts} in window) after ${secs(now - s.since)} waiting.`,
    [{ type: 'restart', initiator: 'auto', probe: s.probe }],
  );
}

function numbersText(s: BudgetWaitState, n: BudgetNumbers, ctx: Ctx): string {
  const b = ctx.policy.budget;
  const limits = b ? { c: b.maxConcurrent, w: b.maxPerWindow, sec: b.windowSec } : null;
  return (
    `${n.inFlight}${limits ? `/${limits.c}` : ''} in flight, ${n.usedInWindow}${limits ? `/${limits.w} in ${limits.sec}s` : ' in window'}, ` +
    `${n.waiting} waiting${n.position ? `, this service #${n.position}` : ''} in ${s.group}`
  );
}

/** The hub's answer, in any state (a late answer for a wait that ended returns its lease). */
export function budgetAnswer(s: ServiceState, input: BudgetAnswer, ctx: Ctx): Decision {
  const { now, policy } = ctx;
  if (input.type === 'budget_granted') {
    const group = s.tag === 'budget_wait' ? s.group : (policy.budget?.group ?? '');
    const lease = { group, id: input.leaseId };
    // An operator restart's lease only counts that restart: it never starts an automatic one.
    if (s.tag === 'budget_wait' && !input.operator) {
      return startRestart(s, ctx, 'Fleet budget lease granted', lease);
    }
    // An operator's lease counts an operator restart only (an automatic restart that went on
    // without the hub, onHubUnreachable: local, must not pass as counted by it).
    const fits =
      s.tag === 'restarting' && (input.operator ? s.initiator !== 'auto' : s.initiator !== 'external');
    if (s.tag === 'restarting' && !s.lease && fits && policy.budget) {
      return make(
        'budget_counted',
        { ...s, lease },
        `The ${s.initiator} restart is counted in fleet budget ${group} (lease ${input.leaseId}).`,
      );
    }
    if (s.tag === 'restarting' && s.lease?.id === input.leaseId) {
      return make('noop', s, 'The lease this restart holds was granted again.');
    }
    return make(
      'budget_released',
      s,
      `A fleet budget lease arrived that nothing waits for (state ${s.tag}); returned at once.`,
      [{ type: 'finish_budget', group, leaseId: input.leaseId, outcome: 'unused' }],
    );
  }
  if (s.tag !== 'budget_wait')
    return make('noop', s, `Late fleet budget answer (${input.type}); nothing waits.`);
  const budget = policy.budget;
  if (input.type === 'budget_unreachable') {
    if (!budget || budget.onHubUnreachable === 'local') {
      return startRestart(
        s,
        ctx,
        `The hub did not answer (${input.reason}); onHubUnreachable: local restarts under the local limits only`,
        null,
      );
    }
    const again = input.notified ? NOTIFIED_RECHECK_MS : UNREACHABLE_RETRY_MS;
    return make(
      'skip_fleet_budget',
      {
        ...s,
        churn: countBlocked(s.churn, 'skip_fleet_budget'),
        unreachable: input.reason,
        askAt: now + again,
      },
      `Waiting for fleet budget ${s.group}: the hub did not answer (${input.reason}); onHubUnreachable: wait, so no automatic restart ` +
        `until it does (${input.notified ? 'the hub notifies this node when the service should ask; asking again anyway' : 'asking again'} in ${secs(again)}); an operator restart still works.`,
    );
  }
  const { inFlight, usedInWindow, waiting } = input;
  const n: BudgetNumbers = { inFlight, usedInWindow, waiting };
  if (input.position !== undefined) n.position = input.position;
  const blocked = s.churn.blocked.skip_fleet_budget ?? 0;
  // The hub names when capacity could free at the latest (a lease's TTL); leases usually end
  // much sooner, so a waiter asks again after RECHECK_MS per round of maxConcurrent services ahead
  // of it: the head of the queue every second, the tail less often (the hub's load stays bounded).
  const rounds = Math.max(1, Math.ceil((input.position ?? 1) / (budget?.maxConcurrent ?? 1)));
  const cap = input.notified ? NOTIFIED_RECHECK_MS : RECHECK_MS * rounds;
  const retry = stretchSec(
    (input.notified ? cap : Math.min(Math.max(input.retryInMs, 0), cap)) / 1000,
    policy.jitter,
    ctx.key,
    blocked,
  );
  const askAt = now + Math.max(1, Math.round(retry * 1000));
  return make(
    'skip_fleet_budget',
    { ...s, churn: countBlocked(s.churn, 'skip_fleet_budget'), denied: n, unreachable: null, askAt },
    `Waiting for fleet budget: ${numbersText(s, n, ctx)}; the restart runs when a lease frees, oldest waiting first (${input.notified ? 'the hub notifies this service when a slot is free for it; asking again anyway' : 'asking again'} in ${secs(askAt - now)}).`,
  );
}

/**
 * The hub's slot notification: a slot of the group is free for this waiting service now, so it
 * asks for its lease at once (the same re-ask as a due tick; the arbiter still decides). In any
 * other state it changes nothing.
 */
export function slotFree(s: ServiceState, lost: boolean, ctx: Ctx): Decision {
  if (s.tag !== 'budget_wait') return make('noop', s, 'A fleet budget slot is free, but nothing waits.');
  return make(
    'budget_requested',
    { ...s, askAt: askAgainAt(ctx) },
    lost
      ? `The hub's slot notification for fleet budget ${s.group} failed; asking for the lease now.`
      : `A slot of fleet budget ${s.group} is free for this service (the hub's notification); asking for the lease now.`,
    [{ type: 'request_budget', group: s.group, operator: false }],
  );
}

/** budget_wait: the other inputs while the lease is awaited. */
export function decideBudgetWait(s: BudgetWaitState, input: StateInput, ctx: Ctx): Decision {
  const { now, policy } = ctx;
  switch (input.type) {
    case 'probe_ok':
      if (s.probe) {
        return probeRecovered(
          s,
          s.openSec,
          null,
          ctx,
          'Healthy on its own while the probe restart waited for the fleet budget',
        );
      }
      return recovered(
        s,
        ctx,
        'Probe passed while the restart waited for the fleet budget; no restart needed.',
      );
    case 'probe_failed':
      return make(
        'failure_counted',
        { ...s, failures: s.failures + 1 },
        'Probe failed; the restart waits for the fleet budget.',
      );
    case 'exited':
      if (input.code === FATAL_EXIT) return fatalExit(s, ctx, s.probe ? s.openSec : policy.circuit.openSec);
      return make(
        'failure_counted',
        { ...s, failures: crashFailures(s.failures, policy) },
        `The service crashed (exit ${input.code}); the restart waits for the fleet budget.`,
      );
    case 'restart_succeeded':
    case 'restart_failed':
      return make(input.type, s, `Late restart outcome (${input.type}) while waiting for the fleet budget.`);
    case 'tick':
      if (now < s.askAt)
        return make('noop', s, `Waiting for the fleet budget; asking again in ${secs(s.askAt - now)}.`);
      return make(
        'budget_requested',
        { ...s, askAt: askAgainAt(ctx) },
        `Asking the hub again for a lease in ${s.group}.`,
        [{ type: 'request_budget', group: s.group, operator: false }],
      );
  }
}

/**
 * Applied to every decision: a lease ends with the restarting state it was granted for (the
 * outcome is known), and an operator restart of a budgeted service is counted at the hub.
 */
export function budgetBookkeeping(prev: ServiceState, d: Decision, ctx: Ctx): Decision {
  const held = prev.tag === 'restarting' ? prev.lease : undefined;
  const budget = ctx.policy.budget;
  if (!held && !budget) return d;
  // The finish comes first: a request in the same decision (a failed restart asking again) must
  // reach the hub after it, or the hub would hand the ending lease back to the new restart.
  const before: Effect[] = [];
  const after: Effect[] = [];
  if (held && !(d.next.tag === 'restarting' && d.next.lease?.id === held.id)) {
    const healthy = d.next.tag === 'healthy' || d.next.tag === 'half_open';
    before.push({
      type: 'finish_budget',
      group: held.group,
      leaseId: held.id,
      outcome: healthy ? 'healthy' : 'failed',
    });
  }
  if (budget) {
    for (const e of d.effects) {
      if (e.type === 'restart' && e.initiator !== 'auto') {
        after.push({ type: 'request_budget', group: budget.group, operator: true });
      }
    }
  }
  return before.length + after.length === 0 ? d : { ...d, effects: [...before, ...d.effects, ...after] };
}
