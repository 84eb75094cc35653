/**
 * The one read model the API shows for a service: GraphQL `Service` resolves from it and
 * `/status` serializes it, so the two can never disagree. It is a pure function of the engine's
 * `ServiceView` (core/view.ts) plus the public URL for runbook links; timestamps become ISO strings.
 */
import type { Policy } from './policy.js';
import type { RecommendedActionCode, StateName } from './types.js';
import type { ServiceView } from './view.js';

export interface ServiceStatus {
  name: string;
  unit: string;
  state: StateName;
  mode: Policy['mode'];
  churn: {
    restartsInWindow: number;
    windowSec: number;
    maxRestarts: number;
    totalRestarts: number;
    blockedAttempts: number;
    blockedByReason: { reason: string; count: number }[];
    circuitOpens: number;
    lastRestartAt: string | null;
  };
  cooldown: { active: boolean; until: string | null };
  circuit: { state: 'closed' | 'open' | 'half_open'; openedAt: string | null; reopensAt: string | null };
  hold: { actor: string; reason: string; until: string } | null;
  /** The maintenance window in force (hold or shadow) and when it ends, or null. */
  maintenance: {
    id: string;
    name: string;
    mode: 'hold' | 'shadow';
    endsAt: string;
    reason: string | null;
    /** Escalations and incidents are sent marked as maintenance (true) or suppressed (false). */
    notify: boolean;
  } | null;
  backoff: { nextDelaySec: number };
  approvalPending: boolean;
  recommendedAction: { code: RecommendedActionCode; summary: string; command: string; runbookUrl: string };
  policy: Policy;
  lastDecision: { decision: string; reason: string | null; at: string; actor: string | null } | null;
}

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** `${publicUrl}/runbook#anchor`, without a doubled slash. */
export function runbookUrl(publicUrl: string, anchor: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/runbook#${anchor}`;
}

export function projectService(view: ServiceView, publicUrl: string): ServiceStatus {
  const { churn, cooldown, circuit, hold, recommended, lastDecision } = view;
  return {
    name: view.name,
    unit: view.unit,
    state: view.state.tag,
    mode: view.policy.mode,
    churn: {
      restartsInWindow: churn.restartsInWindow,
      windowSec: churn.windowSec,
      maxRestarts: churn.maxRestarts,
      totalRestarts: churn.totalRestarts,
      blockedAttempts: churn.blockedAttempts,
      blockedByReason: Object.entries(churn.blockedByReason)
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => a.reason.localeCompare(b.reason)),
      circuitOpens: churn.circuitOpens,
      lastRestartAt: iso(churn.lastRestartAt),
    },
    cooldown: { active: cooldown.active, until: iso(cooldown.until) },
    circuit: { state: circuit.state, openedAt: iso(circuit.openedAt), reopensAt: iso(circuit.reopensAt) },
    hold: hold ? { actor: hold.actor, reason: hold.reason, until: iso(hold.until)! } : null,
    maintenance: view.maintenance
      ? {
          id: view.maintenance.id,
          name: view.maintenance.name,
          mode: view.maintenance.mode,
          endsAt: iso(view.maintenance.endsAt)!,
          reason: view.maintenance.reason,
          notify: view.maintenance.notify,
        }
      : null,
    backoff: { nextDelaySec: view.backoff.nextDelaySec },
    approvalPending: view.approvalPending,
    recommendedAction: {
      code: recommended.code,
      summary: recommended.summary,
      command: recommended.command,
      runbookUrl: runbookUrl(publicUrl, recommended.anchor),
    },
    policy: view.policy,
    lastDecision: lastDecision
      ? {
          decision: lastDecision.decision,
          reason: lastDecision.reason,
          at: iso(lastDecision.at)!,
          actor: lastDecision.actor,
        }
      : null,
  };
}
