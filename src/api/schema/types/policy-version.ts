/**
 * Policy versions over GraphQL: `policyVersions` (newest first) and `activePolicy(service)`.
 * Read-only, any role. The versions live in the store (src/rollout/versions.ts).
 */
import type { Policy } from '../../../core/policy.js';
import { type PolicySet, policySetOfContent } from '../../../rollout/policy-set.js';
import { type ActiveSet, activePolicySet } from '../../../rollout/versions.js';
import type { PolicyVersion } from '../../../store/types.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { PolicyRef } from './policy.js';

interface Assignment {
  service: string;
  policyName: string;
  policy: Policy;
}

const assignments = (set: PolicySet): Assignment[] =>
  Object.entries(set.services)
    .filter(([, name]) => set.policies[name])
    .map(([service, policyName]) => ({ service, policyName, policy: set.policies[policyName] }))
    .sort((a, b) => a.service.localeCompare(b.service));

const AssignmentRef = builder.objectRef<Assignment>('PolicyAssignment').implement({
  description: 'Which named policy a service runs with in a version.',
  fields: (t) => ({
    service: t.exposeString('service'),
    policyName: t.exposeString('policyName', {
      description: '`inline:<service>` for a policy written inline.',
    }),
    policy: t.field({ type: PolicyRef, resolve: (a) => a.policy }),
  }),
});

export const PolicyVersionRef = builder.objectRef<PolicyVersion>('PolicyVersion').implement({
  description: 'A numbered, audited policy set (`medic policy apply|rollback`).',
  fields: (t) => ({
    version: t.exposeInt('version'),
    hash: t.exposeString('hash', { description: 'sha256 of the canonical JSON content.' }),
    author: t.exposeString('author'),
    reason: t.exposeString('reason'),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.createdAt }),
    active: t.exposeBoolean('active'),
    services: t.field({ type: [AssignmentRef], resolve: (v) => assignments(policySetOfContent(v.content)) }),
    content: t.field({
      type: 'JSON',
      description: '{policies, services} as stored.',
      resolve: (v) => v.content,
    }),
  }),
});

interface ActivePolicy {
  service: string;
  version: number | null;
  policyName: string | null;
  policy: Policy;
}

const ActivePolicyRef = builder.objectRef<ActivePolicy>('ActivePolicy').implement({
  description: 'The policy a service runs with now, and the version it comes from.',
  fields: (t) => ({
    service: t.exposeString('service'),
    version: t.int({
      nullable: true,
      description: 'null before any version was applied.',
      resolve: (a) => a.version,
    }),
    policyName: t.string({ nullable: true, resolve: (a) => a.policyName }),
    policy: t.field({ type: PolicyRef, resolve: (a) => a.policy }),
  }),
});

function activeFor(ctx: ApiContext, active: ActiveSet | null, service: string): ActivePolicy | null {
  const name = active?.set.services[service];
  const fromVersion = name ? active?.set.policies[name] : undefined;
  if (fromVersion)
    return { service, version: active!.version.version, policyName: name!, policy: fromVersion };
  // Not (yet) in a version: what the engine runs with.
  const running = ctx.engine.services.get(service);
  return running ? { service, version: null, policyName: null, policy: running.policy } : null;
}

builder.queryFields((t) => ({
  policyVersions: t.field({
    type: [PolicyVersionRef],
    description: 'Every policy version, newest first.',
    resolve: (_root, _args, ctx) => ctx.store.listPolicyVersions(),
  }),
  activePolicy: t.field({
    type: ActivePolicyRef,
    nullable: true,
    description: 'The active policy of a service (null for an unknown service).',
    args: { service: t.arg.string({ required: true }) },
    resolve: (_root, { service }, ctx) => activeFor(ctx, activePolicySet(ctx.store), service),
  }),
}));
