/**
 * The validation gate of a policy change, shared by `medic policy apply` and the GraphQL
 * `applyPolicy` mutation (one code path, one audit):
 *
 * 1. the candidate was validated when it was loaded (candidate.ts; every problem at once);
 * 2. `planApply` diffs it against the active version and replays the recorded inputs of the
 *    period for every affected service under both policies (compare.ts);
 * 3. only `commitApply` activates it, audited `policy_applied` with the replay summary.
 */
import type { Store } from '../store/types.js';
import { compareService, type ServiceComparison } from './compare.js';
import { type Change, diffPolicySets } from './diff.js';
import { lastDays, type Period, recordedInputs } from './history.js';
import { hashPolicySet, type PolicySet, policyOf } from './policy-set.js';
import type { TickMode } from './replay.js';
import {
  type ActiveSet,
  type Attribution,
  activateNewVersion,
  activePolicySet,
  VersionError,
  type VersionStore,
} from './versions.js';

export const DEFAULT_DAYS = 7;

export interface ApplyPlan {
  active: ActiveSet | null;
  candidate: PolicySet;
  candidateHash: string;
  /** True when the candidate equals the active version (nothing to apply). */
  unchanged: boolean;
  changes: Change[];
  affected: string[];
  period: Period;
  /** One per affected service that the active version knows (a new service has nothing to compare). */
  comparisons: ServiceComparison[];
  /** Affected services without an active policy (added by the candidate). */
  added: string[];
  /** Inputs replayed, over all affected services. */
  replayedInputs: number;
}

export function planApply(
  store: Pick<Store, 'activePolicyVersion' | 'listEvents'>,
  candidate: PolicySet,
  opts: { days?: number; now: number; ticks?: TickMode },
): ApplyPlan {
  const active = activePolicySet(store);
  const candidateHash = hashPolicySet(candidate);
  const { changes, affected } = diffPolicySets(active?.set ?? null, candidate);
  const period = lastDays(opts.days ?? DEFAULT_DAYS, opts.now);
  const compared = affected.filter((s) => active && policyOf(active.set, s) && policyOf(candidate, s));
  const added = affected.filter((s) => !compared.includes(s) && policyOf(candidate, s));
  const history = compared.length > 0 ? recordedInputs(store, period, compared) : new Map();
  const comparisons = compared.map((svc) =>
    compareService(svc, history.get(svc) ?? [], policyOf(active!.set, svc)!, policyOf(candidate, svc)!, {
      until: period.until,
      ...(opts.ticks ? { ticks: opts.ticks } : {}),
    }),
  );
  return {
    active,
    candidate,
    candidateHash,
    unchanged: active?.version.hash === candidateHash,
    changes,
    affected,
    period,
    comparisons,
    added,
    replayedInputs: comparisons.reduce((n, c) => n + c.inputs, 0),
  };
}

/** A compact summary stored in the `policy_applied` event's data. */
export function replaySummary(plan: ApplyPlan) {
  return {
    replay: {
      since: plan.period.since,
      until: plan.period.until,
      inputs: plan.replayedInputs,
      services: plan.comparisons.map((c) => ({
        service: c.service,
        restartsAdded: c.restartsAdded,
        restartsAvoided: c.restartsAvoided,
        circuitsAdded: c.circuitsAdded,
        circuitsAvoided: c.circuitsAvoided,
        blockedActive: c.active.blocked,
        blockedCandidate: c.candidate.blocked,
      })),
    },
  };
}

/**
 * Activates the planned candidate (audited `policy_applied` with the replay summary). Throws
 * VersionError STALE_PLAN when another apply or rollback changed the active version since the
 * plan was made (its replay compared against the wrong policies).
 */
export function commitApply(store: VersionStore, plan: ApplyPlan, by: Attribution) {
  return store.transaction(() => {
    const now = store.activePolicyVersion()?.version ?? null;
    if (now !== (plan.active?.version.version ?? null)) {
      throw new VersionError(
        'STALE_PLAN',
        `the active policy version changed to ${now} meanwhile; re-run the apply`,
      );
    }
    return activateNewVersion(store, plan.candidate, by, { source: 'apply', ...replaySummary(plan) });
  });
}
