/**
 * decide(state, input, now, policy) → Decision: the one pure function that changes a service's
 * state (DESIGN.md rule 1). It performs nothing and reads no clock; the edges persist the
 * decision and then carry out its effects.
 *
 * Contract:
 * - total: every state × input yields exactly one Decision with one DecisionCode and a
 *   one-sentence `detail`; it never throws on valid input (a valid state, a valid policy,
 *   inputs whose numbers are finite);
 * - deterministic: same (state, input, now, policy) → same decision (deep-equal);
 * - `now` should never go backwards for one service (the CLI and engine enforce it);
 * - before the input is looked at, the state is settled to `now`: the churn window is pruned
 *   and the backoff run decays after `stableSec` of health (state.ts);
 * - every automatic restart passes the gate (gate.ts): window full → circuit_opened;
 *   within the cooldown/backoff delay → cooldown / skip_*; held / circuit_open → never.
 *
 * The per-state rules live in decide/<state>.ts; inputs that mean the same everywhere
 * (operator commands, systemd's own restarts, clean exits) in decide/commands.ts.
 * docs/CORE.md has the full state × input table.
 */
import { budgetAnswer, budgetBookkeeping, decideBudgetWait, slotFree } from './decide/budget.js';
import { decideCircuitOpen, decideHalfOpen } from './decide/circuit.js';
import {
  approve,
  cleanExit,
  externalRestart,
  forceRestart,
  hold,
  release,
  resetCircuit,
} from './decide/commands.js';
import { restartWith } from './decide/companion.js';
import { decideCooldown } from './decide/cooldown.js';
import { decideDeferred } from './decide/deferred.js';
import { decideHealthy } from './decide/healthy.js';
import { decideHeld } from './decide/held.js';
import { requestRestart } from './decide/request.js';
import { decideRestarting } from './decide/restarting.js';
import type { Ctx } from './decide/shared.js';
import type { Policy } from './policy.js';
import { settle } from './state.js';
import type { Decision, Input, ServiceState, Surroundings } from './types.js';

const NONE: Surroundings = {};

/**
 * `env` (optional) is what the engine knows around the service: its name and node (the seed of
 * the policy's jitter) and the first dependency that is not healthy (automatic restarts are then
 * deferred: decide/deferred.ts). Omitted, decide() decides as for a service without dependencies.
 */
export function decide(
  state: ServiceState,
  input: Input,
  now: number,
  policy: Policy,
  env: Surroundings = NONE,
): Decision {
  const s = settle(state, now, policy);
  const ctx: Ctx = { now, policy, env, key: { node: env.node ?? '', service: env.service ?? '' } };
  // The fleet budget's leases end with the restart they were granted for (decide/budget.ts).
  return budgetBookkeeping(s, decideSettled(s, input, ctx), ctx);
}

function decideSettled(s: ServiceState, input: Input, ctx: Ctx): Decision {
  switch (input.type) {
    case 'budget_granted':
    case 'budget_denied':
    case 'budget_unreachable':
      return budgetAnswer(s, input, ctx);
    case 'budget_slot_free':
      return slotFree(s, input.lost === true, ctx);
    case 'hold':
      return hold(s, input, ctx);
    case 'release':
      return release(s, input, ctx);
    case 'approve':
      return approve(s, input, ctx);
    case 'force_restart':
      return forceRestart(s, input, ctx);
    case 'reset_circuit':
      return resetCircuit(s, input, ctx);
    case 'restart_requested':
      return requestRestart(s, input, ctx);
    case 'external_restart':
      return externalRestart(s, input.count, ctx);
    case 'restart_with':
      return restartWith(s, input, ctx);
    case 'exited':
      if (input.code === 0) return cleanExit(s);
      break;
  }
  switch (s.tag) {
    case 'healthy':
      return decideHealthy(s, input, ctx);
    case 'restarting':
      return decideRestarting(s, input, ctx);
    case 'cooldown':
      return decideCooldown(s, input, ctx);
    case 'circuit_open':
      return decideCircuitOpen(s, input, ctx);
    case 'half_open':
      return decideHalfOpen(s, input, ctx);
    case 'held':
      return decideHeld(s, input, ctx);
    case 'deferred':
      return decideDeferred(s, input, ctx);
    case 'budget_wait':
      return decideBudgetWait(s, input, ctx);
  }
}
