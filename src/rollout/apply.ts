/**
 * Policy apply and rollback as application functions: the one sequence behind
 * `medic policy apply|rollback` and the `applyPolicy` / `rollbackPolicy` mutations, which only
 * translate arguments and results.
 *
 * apply: load the candidate (a file or inline content; merged over the active set) → plan
 * (diff + replay of the last `days` under both policies, src/rollout/gate.ts) → when asked and
 * something changed, commit (audited `policy_applied`) → when a running engine is at hand, switch
 * its policies at once (state and counters carry over) and relay the event to live subscribers
 * (a version watcher relaying it again is a no-op). The CLI has no engine: `medic serve` picks
 * the change up with its watcher.
 *
 * Throws CandidateError (every problem of the candidate) and VersionError (stale plan, unknown
 * or already active version); callers turn them into their exit code or error union member.
 */
import type { AuditEvent } from '../core/audit.js';
import type { Engine } from '../engine/types.js';
import type { PolicyVersion, Store } from '../store/types.js';
import { loadCandidate, parseCandidate } from './candidate.js';
import { type ApplyPlan, commitApply, DEFAULT_DAYS, planApply } from './gate.js';
import { policySetOfContent } from './policy-set.js';
import { activePolicySet, reactivateVersion, type VersionStore } from './versions.js';
import { syncEngine } from './watch.js';

export { CandidateError } from './candidate.js';
export type { ServiceComparison } from './compare.js';
export type { Change } from './diff.js';
export { type ApplyPlan, DEFAULT_DAYS } from './gate.js';
export { VersionError } from './versions.js';

/** The store an apply or rollback needs: versions, the audit log (replay) and transactions. */
export type RolloutStore = VersionStore & Pick<Store, 'listEvents'>;

/** The running engine, when there is one (serve, the API); the CLI passes none. */
export type LiveEngine = Pick<Engine, 'services' | 'setPolicy' | 'relay'>;

/** A candidate: a file (path relative to `cwd`) or inline YAML/JSON text named `name` in messages. */
export type CandidateSource = { file: string; cwd: string } | { content: string; name: string };

export interface ApplyOptions {
  /** Replay window in days (default 7). */
  days?: number;
  /** Activate (true) or only plan (a dry run). */
  activate: boolean;
  author: string;
  reason: string;
  now: number;
}

export interface ApplyOutcome {
  plan: ApplyPlan;
  /** The new active version and its `policy_applied` event; null for a dry run or no change. */
  applied: { version: PolicyVersion; event: AuditEvent } | null;
}

export async function applyPolicy(
  store: RolloutStore,
  source: CandidateSource,
  opts: ApplyOptions,
  engine?: LiveEngine,
): Promise<ApplyOutcome> {
  const base = activePolicySet(store)?.set ?? null;
  const candidate =
    'file' in source
      ? await loadCandidate(source.file, source.cwd, base)
      : parseCandidate(source.content, source.name, base);
  const plan = planApply(store, candidate, { days: opts.days ?? DEFAULT_DAYS, now: opts.now });
  if (!opts.activate || plan.unchanged) return { plan, applied: null };
  const applied = commitApply(store, plan, { author: opts.author, reason: opts.reason, now: opts.now });
  if (engine) {
    syncEngine(candidate, engine);
    engine.relay(applied.event);
  }
  return { plan, applied };
}

export interface RollbackOutcome {
  from: PolicyVersion;
  version: PolicyVersion;
  event: AuditEvent;
}

/** Reactivates the previous version (or `to`), audited `policy_rolled_back`; switches a live engine. */
export function rollbackPolicy(
  store: VersionStore,
  to: number | undefined,
  by: { author: string; reason: string; now: number },
  engine?: LiveEngine,
): RollbackOutcome {
  const outcome = reactivateVersion(store, to, by);
  if (engine) {
    syncEngine(policySetOfContent(outcome.version.content), engine);
    engine.relay(outcome.event);
  }
  return outcome;
}
