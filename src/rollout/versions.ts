/**
 * Longer than ~200 lines on purpose: versions, activation, rollback and start-up resolution share
 * their audit and validation rules.
 *
 * Policy versions: every policy set medic runs with is stored, numbered and audited.
 *
 * - `activateNewVersion` stores a set as the next version and activates it, with its
 *   `policy_applied` audit event, in ONE transaction.
 * - `reactivateVersion` makes an existing version active again (`policy_rolled_back`).
 * - `resolveActivePolicies` is what `medic serve` calls on start: a changed contract does not
 *   silently switch the running policies (issue 7); it goes through `medic policy apply`, or
 *   `--apply-on-start` for first deployments (audited like an apply).
 */

import type { Contract } from '../contract/types.js';
import type { AuditEvent, NewEvent } from '../core/audit.js';
import type { Policy } from '../core/policy.js';
import type { PolicyVersion, Store } from '../store/types.js';
import { diffPolicySets } from './diff.js';
import {
  hashPolicySet,
  type PolicySet,
  policyOf,
  policySetOfContent,
  policySetOfContract,
} from './policy-set.js';

export type VersionStore = Pick<
  Store,
  | 'insertPolicyVersion'
  | 'activatePolicyVersion'
  | 'activePolicyVersion'
  | 'listPolicyVersions'
  | 'getPolicyVersion'
  | 'appendEvent'
  | 'transaction'
>;

export interface ActiveSet {
  version: PolicyVersion;
  set: PolicySet;
}

/** The active version and its policy set, or null before the first apply. */
export function activePolicySet(store: Pick<Store, 'activePolicyVersion'>): ActiveSet | null {
  const version = store.activePolicyVersion();
  return version ? { version, set: policySetOfContent(version.content) } : null;
}

export interface Attribution {
  author: string;
  reason: string;
  /** Epoch ms (the caller's clock). */
  now: number;
}

function auditEvent(
  kind: 'policy_applied' | 'policy_rolled_back',
  by: Attribution,
  data: Record<string, unknown>,
): NewEvent {
  return {
    at: by.now,
    service: null,
    kind,
    decision: null,
    taken: null,
    input: null,
    actor: by.author,
    reason: by.reason,
    stateFrom: null,
    stateTo: null,
    counters: null,
    effects: [],
    mode: null,
    data,
  };
}

/** Stores `set` as the next version, activates it and audits `policy_applied` (one transaction). */
export function activateNewVersion(
  store: VersionStore,
  set: PolicySet,
  by: Attribution,
  extra: Record<string, unknown> = {},
): { version: PolicyVersion; event: AuditEvent } {
  return store.transaction(() => {
    const previous = store.activePolicyVersion();
    const prevSet = previous ? policySetOfContent(previous.content) : null;
    const inserted = store.insertPolicyVersion({
      hash: hashPolicySet(set),
      content: set as unknown as Record<string, unknown>,
      author: by.author,
      reason: by.reason,
      createdAt: by.now,
    });
    const version = store.activatePolicyVersion(inserted.version);
    const event = store.appendEvent(
      auditEvent('policy_applied', by, {
        version: version.version,
        hash: version.hash,
        previousVersion: previous?.version ?? null,
        affected: diffPolicySets(prevSet, set).affected,
        ...extra,
      }),
    );
    return { version, event };
  });
}

export class VersionError extends Error {
  constructor(
    readonly code:
      | 'NO_ACTIVE_VERSION'
      | 'NO_PREVIOUS_VERSION'
      | 'VERSION_NOT_FOUND'
      | 'ALREADY_ACTIVE'
      | 'STALE_PLAN',
    message: string,
  ) {
    super(message);
    this.name = 'VersionError';
  }
}

/**
 * The version `rollback` goes to: `to` when given, else the highest-numbered version below the
 * active one (so repeated rollbacks walk back one version at a time).
 */
export function rollbackTarget(store: VersionStore, to?: number): { from: PolicyVersion; to: PolicyVersion } {
  const active = store.activePolicyVersion();
  if (!active)
    throw new VersionError('NO_ACTIVE_VERSION', 'no policy version is active yet; nothing to roll back');
  let target: PolicyVersion | null | undefined;
  if (to !== undefined) {
    target = store.getPolicyVersion(to);
    if (!target) throw new VersionError('VERSION_NOT_FOUND', `policy version ${to} does not exist`);
  } else {
    target = store.listPolicyVersions().find((v) => v.version < active.version);
    if (!target)
      throw new VersionError('NO_PREVIOUS_VERSION', `version ${active.version} is the first version`);
  }
  if (target.version === active.version) {
    throw new VersionError('ALREADY_ACTIVE', `version ${target.version} is already active`);
  }
  return { from: active, to: target };
}

/** Reactivates an existing version and audits `policy_rolled_back` (one transaction). */
export function reactivateVersion(
  store: VersionStore,
  to: number | undefined,
  by: Attribution,
): { from: PolicyVersion; version: PolicyVersion; event: AuditEvent } {
  return store.transaction(() => {
    const target = rollbackTarget(store, to);
    const version = store.activatePolicyVersion(target.to.version);
    const event = store.appendEvent(
      auditEvent('policy_rolled_back', by, {
        version: version.version,
        hash: version.hash,
        previousVersion: target.from.version,
        affected: diffPolicySets(policySetOfContent(target.from.content), policySetOfContent(version.content))
          .affected,
      }),
    );
    return { from: target.from, version, event };
  });
}

export interface ResolvedPolicies {
  version: PolicyVersion;
  set: PolicySet;
  /** Effective policy per contract service (the active version's; the contract's for a service it lacks). */
  policies: Map<string, Policy>;
  /** True when this call stored and activated the contract's policies. */
  applied: boolean;
  /** Set when the contract's policies differ from the version kept running (log it; show it in /readyz). */
  warning: string | null;
}

/**
 * What `medic serve` runs with. First run (no version yet) or `applyOnStart`: the contract's
 * policies become the active version (audited `policy_applied`, unless already identical).
 * Otherwise the active version keeps running and a difference from the contract is returned as
 * a warning, never applied silently.
 */
export function resolveActivePolicies(
  store: VersionStore,
  contract: Pick<Contract, 'file' | 'policies' | 'services'>,
  opts: { applyOnStart?: boolean; author: string; now: number },
): ResolvedPolicies {
  const wanted = policySetOfContract(contract);
  const hash = hashPolicySet(wanted);
  const active = activePolicySet(store);
  let current: ActiveSet;
  let applied = false;
  let warning: string | null = null;
  if (!active || (opts.applyOnStart && active.version.hash !== hash)) {
    const reason = active ? `--apply-on-start with ${contract.file}` : `first start with ${contract.file}`;
    const { version } = activateNewVersion(
      store,
      wanted,
      { author: opts.author, reason, now: opts.now },
      { source: 'start' },
    );
    current = { version, set: wanted };
    applied = true;
  } else {
    current = active;
    if (active.version.hash !== hash) {
      const { affected } = diffPolicySets(active.set, wanted);
      warning =
        `the contract's policies differ from active policy version ${active.version.version} ` +
        `(services: ${affected.join(', ') || 'none'}); still running version ${active.version.version}. ` +
        `Review with \`medic policy diff ${contract.file}\`, then \`medic policy apply ${contract.file} --reason "…" --yes\``;
    }
  }
  const policies = new Map<string, Policy>();
  for (const svc of contract.services) policies.set(svc.name, policyOf(current.set, svc.name) ?? svc.policy);
  return { version: current.version, set: current.set, policies, applied, warning };
}
