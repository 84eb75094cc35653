/**
 * viewOf(): the one read model of a service, used by GraphQL, /status and Slack, so they can
 * never disagree. The state is settled to `now` first (window pruned, backoff decayed).
 */
import { restartDelaySec } from './gate.js';
import type { ActiveMaintenance } from './maintenance.js';
import type { Policy } from './policy.js';
import { recommend } from './recommend.js';
import { blockedTotal, settle } from './state.js';
import type { RecommendedAction, ServiceState } from './types.js';

/** The read model of one service: a projection of its state, policy and clock. */
export interface ServiceView {
  name: string;
  unit: string;
  policy: Policy;
  state: ServiceState;
  recommended: RecommendedAction;
  churn: {
    restartsInWindow: number;
    windowSec: number;
    maxRestarts: number;
    totalRestarts: number;
    blockedAttempts: number;
    blockedByReason: Record<string, number>;
    circuitOpens: number;
    lastRestartAt: number | null;
  };
  cooldown: { active: boolean; until: number | null };
  circuit: { state: 'closed' | 'open' | 'half_open'; openedAt: number | null; reopensAt: number | null };
  hold: { actor: string; reason: string; until: number } | null;
  /** The maintenance window in force now (core/maintenance.ts), or null. */
  maintenance: ActiveMaintenance | null;
  backoff: { nextDelaySec: number };
  /** True when an operator approval would be accepted now. */
  approvalPending: boolean;
  lastDecision: { decision: string; at: number; actor: string | null; reason: string | null } | null;
}

export interface ViewArgs {
  name: string;
  unit: string;
  policy: Policy;
  state: ServiceState;
  now: number;
  lastDecision: ServiceView['lastDecision'];
  /** This node's name: with `name`, the seed of the policy's jitter (shown delays include it). */
  node?: string;
  /** The maintenance window in force at `now` (the engine evaluates it), or none. */
  maintenance?: ActiveMaintenance | null;
}

function circuitOf(state: ServiceState): ServiceView['circuit'] {
  switch (state.tag) {
    case 'circuit_open':
      return { state: 'open', openedAt: state.openedAt, reopensAt: state.reopensAt };
    case 'half_open':
      return { state: 'half_open', openedAt: null, reopensAt: null };
    case 'restarting':
      return state.probe ? { state: 'half_open', openedAt: null, reopensAt: null } : closedCircuit();
    case 'held':
      if (state.circuit === null) return closedCircuit();
      return { state: 'open', openedAt: state.circuit.openedAt, reopensAt: state.circuit.reopensAt };
    default:
      return closedCircuit();
  }
}

function closedCircuit(): ServiceView['circuit'] {
  return { state: 'closed', openedAt: null, reopensAt: null };
}

export function viewOf({
  name,
  unit,
  policy,
  state: raw,
  now,
  lastDecision,
  node,
  maintenance,
}: ViewArgs): ServiceView {
  const state = settle(raw, now, policy);
  const { churn } = state;
  const blockedByReason: Record<string, number> = {};
  for (const [reason, n] of Object.entries(churn.blocked)) if (n) blockedByReason[reason] = n;
  return {
    name,
    unit,
    policy,
    state,
    recommended: recommend(state, policy, { name, unit }, now),
    churn: {
      restartsInWindow: churn.window.length,
      windowSec: policy.windowSec,
      maxRestarts: policy.maxRestarts,
      totalRestarts: churn.totalRestarts,
      blockedAttempts: blockedTotal(churn),
      blockedByReason,
      circuitOpens: churn.circuitOpens,
      lastRestartAt: churn.lastRestartAt,
    },
    cooldown:
      state.tag === 'cooldown' && state.until > now
        ? { active: true, until: state.until }
        : { active: false, until: null },
    circuit: circuitOf(state),
    hold: state.tag === 'held' ? { actor: state.actor, reason: state.reason, until: state.until } : null,
    maintenance: maintenance ?? null,
    backoff: { nextDelaySec: restartDelaySec(churn, policy, { node: node ?? '', service: name }) },
    approvalPending: state.tag === 'circuit_open' || (state.tag === 'half_open' && !state.probeUsed),
    lastDecision,
  };
}
