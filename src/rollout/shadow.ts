/**
 * `medic policy report --service S`: what a shadow-mode policy would have done, next to what
 * enforcement did, over a period.
 *
 * What is compared (same recorded inputs of S, replayed side by side with compare.ts):
 * - **shadow**: the shadow policy — `--shadow FILE`'s policy for S, else the active version's
 *   policy for S when it is in `mode: shadow`, else the newest version that ran S in shadow;
 * - **enforced**: the enforcing policy — the active version's policy for S when it enforces,
 *   else the newest version that enforced S (medic's defaults if none ever did).
 * Alongside, from the audit log itself: how many decisions were recorded in each mode, how many
 * restarts medic actually executed (enforce-mode restart effects) and how many systemd did on
 * its own (`external_restart` inputs), and whether replay reproduces the
 * recorded decisions when re-run with the versions as they were applied (a check of the record).
 */

import type { AuditEvent } from '../core/audit.js';
import { DEFAULT_POLICY, type Policy } from '../core/policy.js';
import type { Store } from '../store/types.js';
import { compareService, type ServiceComparison } from './compare.js';
import { decisionEvents, lastDays, type Period } from './history.js';
import { type PolicySet, policyOf, policySetOfContent } from './policy-set.js';
import { Replayer } from './replay.js';

export interface PolicyRef {
  policy: Policy;
  /** Where it came from, in words ("active version 4", "version 2", "file x.yaml", "medic defaults"). */
  source: string;
}

export interface ShadowReport {
  service: string;
  period: Period;
  shadow: PolicyRef;
  enforced: PolicyRef;
  /** `active` = enforced, `candidate` = shadow. */
  comparison: ServiceComparison;
  recorded: {
    decisions: number;
    enforceMode: number;
    shadowMode: number;
    restartsExecuted: number;
    externalRestarts: number;
    /**
     * Re-running the recorded inputs with the policy versions as they were applied (from the
     * policy_applied / policy_rolled_back events) must reproduce the recorded decisions: a check
     * that the record is complete and the replay faithful. Recorded ticks are included.
     */
    checked: number;
    reproduced: number;
  };
}

export class ReportError extends Error {
  constructor(
    readonly code: 'NO_SHADOW_POLICY' | 'UNKNOWN_SERVICE',
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

type Sets = { label: string; set: PolicySet }[];

function versionsOf(store: Pick<Store, 'listPolicyVersions'>): Sets {
  return store.listPolicyVersions().map((v) => ({
    label: v.active ? `active version ${v.version}` : `version ${v.version}`,
    set: policySetOfContent(v.content),
  }));
}

/** The first set (in the given order) whose policy for the service has `mode`. */
function find(sets: Sets, service: string, mode: Policy['mode']): PolicyRef | null {
  for (const { label, set } of sets) {
    const policy = policyOf(set, service);
    if (policy?.mode === mode) return { policy, source: label };
  }
  return null;
}

/** Version switches (id order) from the audit log: which version became active when. */
function switches(
  store: Pick<Store, 'listEvents' | 'listPolicyVersions'>,
): { id: number; version: number }[] {
  const out: { id: number; version: number }[] = [];
  let after: number | undefined;
  for (;;) {
    const page = store.listEvents({
      kinds: ['policy_applied', 'policy_rolled_back'],
      first: 500,
      ...(after !== undefined ? { after } : {}),
    });
    for (const e of page.events) {
      const v = e.data?.version;
      if (typeof v === 'number') out.push({ id: e.id, version: v });
    }
    if (!page.hasMore || page.events.length === 0) return out;
    after = page.events[page.events.length - 1].id;
  }
}

/** Replays the events with the versions as they were switched; counts matching decisions. */
function reproduce(
  store: Pick<Store, 'listEvents' | 'listPolicyVersions'>,
  service: string,
  events: AuditEvent[],
): { checked: number; reproduced: number } {
  const sets = new Map(store.listPolicyVersions().map((v) => [v.version, policySetOfContent(v.content)]));
  const timeline = switches(store);
  const policyAt = (version: number) => policyOf(sets.get(version) as PolicySet, service);
  let i = 0;
  let current: Policy | undefined;
  for (; i < timeline.length && timeline[i].id < (events[0]?.id ?? 0); i++)
    current = policyAt(timeline[i].version);
  const r = new Replayer(current ?? DEFAULT_POLICY, { ticks: 'recorded' });
  let checked = 0;
  let reproduced = 0;
  for (const e of events) {
    for (; i < timeline.length && timeline[i].id < e.id; i++) {
      const p = policyAt(timeline[i].version);
      if (p) r.setPolicy(p);
    }
    const step = r.feed({ at: e.at, input: e.input! }).at(-1);
    checked++;
    if (step?.decision === e.decision) reproduced++;
  }
  return { checked, reproduced };
}

export function shadowReport(
  store: Pick<Store, 'listPolicyVersions' | 'listEvents'>,
  service: string,
  opts: { days: number; now: number; shadow?: { set: PolicySet; file: string } },
): ShadowReport {
  // Newest first, the active one ahead of the rest.
  const sets = versionsOf(store).sort(
    (a, b) => Number(b.label.startsWith('active')) - Number(a.label.startsWith('active')),
  );
  let shadow: PolicyRef | null = null;
  if (opts.shadow) {
    const p = policyOf(opts.shadow.set, service);
    if (!p) throw new ReportError('UNKNOWN_SERVICE', `${opts.shadow.file} assigns no policy to ${service}`);
    shadow = { policy: p, source: `file ${opts.shadow.file}` };
  } else {
    shadow = find(sets, service, 'shadow');
  }
  if (!shadow) {
    throw new ReportError(
      'NO_SHADOW_POLICY',
      `no policy version ran ${service} in shadow mode; apply one with \`mode: shadow\` or pass --shadow FILE`,
    );
  }
  const enforced = find(sets, service, 'enforce') ?? { policy: DEFAULT_POLICY, source: 'medic defaults' };
  const period = lastDays(opts.days, opts.now);
  const events = [...decisionEvents(store, period, service)];
  const recorded = {
    decisions: events.length,
    enforceMode: 0,
    shadowMode: 0,
    restartsExecuted: 0,
    externalRestarts: 0,
    checked: 0,
    reproduced: 0,
  };
  for (const e of events) {
    if (e.mode === 'shadow') recorded.shadowMode++;
    else recorded.enforceMode++;
    if (e.mode !== 'shadow')
      recorded.restartsExecuted += e.effects.filter((x) => x.type === 'restart').length;
    if (e.input?.type === 'external_restart') recorded.externalRestarts += e.input.count;
  }
  Object.assign(recorded, reproduce(store, service, events));
  const comparison = compareService(
    service,
    events.map((e) => ({ at: e.at, input: e.input! })),
    enforced.policy,
    shadow.policy,
    { until: period.until },
  );
  return { service, period, shadow, enforced, comparison, recorded };
}
