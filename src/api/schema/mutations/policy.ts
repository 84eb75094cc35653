/**
 * `applyPolicy` / `rollbackPolicy` (admin): the same gate and audit as `medic policy apply` /
 * `rollback` (src/rollout/gate.ts, versions.ts). applyPolicy validates the candidate (every
 * problem in one ValidationError), replays the recorded inputs of the last `days` under the
 * active and the candidate policy, and activates only when `dryRun: false` — audited
 * `policy_applied`; the engine switches at once (state and counters carry over) and the event is
 * relayed to live subscribers (`engine.relay`).
 */
import { resolve } from 'node:path';
import { CandidateError, loadCandidate, parseCandidate } from '../../../rollout/candidate.js';
import type { ServiceComparison } from '../../../rollout/compare.js';
import type { Change } from '../../../rollout/diff.js';
import { type ApplyPlan, commitApply, DEFAULT_DAYS, planApply } from '../../../rollout/gate.js';
import { policySetOfContent } from '../../../rollout/policy-set.js';
import { activePolicySet, reactivateVersion, VersionError } from '../../../rollout/versions.js';
import { syncEngine } from '../../../rollout/watch.js';
import type { PolicyVersion } from '../../../store/types.js';
import { builder } from '../builder.js';
import { conflict, invalid, type MutationErrorShape, notFound, resultUnion } from '../types/errors.js';
import { PolicyVersionRef, requireVersionStore } from '../types/policy-version.js';
import { authorize, checkReason } from './command.js';

const MAX_DAYS = 90;
const MAX_CONTENT = 256 * 1024;

const ChangeRef = builder.objectRef<Change>('PolicyChange').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    from: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.from ?? null }),
    to: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.to ?? null }),
  }),
});

const ComparisonRef = builder.objectRef<ServiceComparison>('ReplayComparison').implement({
  description: 'What the candidate would have done differently for one service over the replayed period.',
  fields: (t) => ({
    service: t.exposeString('service'),
    inputs: t.exposeInt('inputs'),
    restartsActive: t.int({ resolve: (c) => c.active.restarts }),
    restartsCandidate: t.int({ resolve: (c) => c.candidate.restarts }),
    restartsAdded: t.exposeInt('restartsAdded'),
    restartsAvoided: t.exposeInt('restartsAvoided'),
    circuitsOpenedActive: t.int({ resolve: (c) => c.active.circuitsOpened }),
    circuitsOpenedCandidate: t.int({ resolve: (c) => c.candidate.circuitsOpened }),
    circuitsAdded: t.exposeInt('circuitsAdded'),
    circuitsAvoided: t.exposeInt('circuitsAvoided'),
    blockedActive: t.int({ resolve: (c) => c.active.blocked }),
    blockedCandidate: t.int({ resolve: (c) => c.candidate.blocked }),
    divergingInputs: t.exposeInt('divergingSteps'),
    firstDivergence: t.field({
      type: 'JSON',
      nullable: true,
      description: '{at, input, active: {decisions, state}, candidate: {decisions, state}}',
      resolve: (c) => c.firstDivergence,
    }),
  }),
});

interface ApplyReport {
  plan: ApplyPlan;
  dryRun: boolean;
  applied: PolicyVersion | null;
}

const ApplyReportRef = builder.objectRef<ApplyReport>('PolicyApplyReport').implement({
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    applied: t.field({ type: PolicyVersionRef, nullable: true, resolve: (r) => r.applied }),
    activeVersion: t.int({ nullable: true, resolve: (r) => r.plan.active?.version.version ?? null }),
    candidateHash: t.string({ resolve: (r) => r.plan.candidateHash }),
    unchanged: t.boolean({ resolve: (r) => r.plan.unchanged }),
    changes: t.field({ type: [ChangeRef], resolve: (r) => r.plan.changes }),
    affected: t.stringList({ resolve: (r) => r.plan.affected }),
    since: t.field({ type: 'DateTime', resolve: (r) => r.plan.period.since }),
    until: t.field({ type: 'DateTime', resolve: (r) => r.plan.period.until }),
    replayedInputs: t.int({ resolve: (r) => r.plan.replayedInputs }),
    services: t.field({ type: [ComparisonRef], resolve: (r) => r.plan.comparisons }),
  }),
});

interface RollbackReport {
  from: PolicyVersion;
  to: PolicyVersion;
}

const RollbackReportRef = builder.objectRef<RollbackReport>('PolicyRollbackReport').implement({
  fields: (t) => ({
    from: t.field({ type: PolicyVersionRef, resolve: (r) => r.from }),
    to: t.field({ type: PolicyVersionRef, resolve: (r) => r.to }),
  }),
});

const ApplyResultRef = resultUnion<ApplyReport>('ApplyPolicyResult', ApplyReportRef);
const RollbackResultRef = resultUnion<RollbackReport>('RollbackPolicyResult', RollbackReportRef);

const candidateProblem = (err: unknown): MutationErrorShape => {
  if (!(err instanceof CandidateError)) throw err;
  return invalid('content', err.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
};

builder.mutationFields((t) => ({
  applyPolicy: t.field({
    type: ApplyResultRef,
    description:
      'The policy gate (admin): validate, replay the last `days` of recorded inputs under the active and the ' +
      'candidate policies, and — only with dryRun: false — activate the candidate as a new audited version.',
    args: {
      content: t.arg.string({ description: 'A contract or a policies file (YAML or JSON).' }),
      file: t.arg.string({ description: 'A .yaml/.yml/.json file on the server instead of content.' }),
      reason: t.arg.string({ required: true }),
      dryRun: t.arg.boolean({ defaultValue: true }),
      days: t.arg.int({ defaultValue: DEFAULT_DAYS }),
    },
    resolve: async (_root, args, ctx) => {
      const denied = authorize(ctx, 'applyPolicy', 'admin', null);
      if (denied) return denied;
      const dryRun = args.dryRun ?? true;
      const days = args.days ?? DEFAULT_DAYS;
      const problem =
        (dryRun ? null : checkReason(args.reason)) ??
        ((args.content == null) === (args.file == null)
          ? invalid('content', 'give exactly one of content and file')
          : null) ??
        (days >= 1 && days <= MAX_DAYS ? null : invalid('days', `days must be between 1 and ${MAX_DAYS}`)) ??
        ((args.content?.length ?? 0) > MAX_CONTENT
          ? invalid('content', 'content is larger than 256 KiB')
          : null) ??
        (args.file != null && !/\.(ya?ml|json)$/i.test(args.file)
          ? invalid('file', 'file must be a .yaml, .yml or .json file')
          : null);
      if (problem) return problem;
      const store = requireVersionStore(ctx);
      const base = activePolicySet(store)?.set ?? null;
      let candidate: Awaited<ReturnType<typeof loadCandidate>>;
      try {
        candidate =
          args.file != null
            ? await loadCandidate(resolve(args.file), '/', base)
            : parseCandidate(args.content!, '<graphql>', base);
      } catch (err) {
        return candidateProblem(err);
      }
      const now = Date.now();
      const plan = planApply(store, candidate, { days, now });
      if (dryRun || plan.unchanged) return { plan, dryRun, applied: null };
      try {
        const { version, event } = commitApply(store, plan, {
          author: ctx.principal.name,
          reason: args.reason.trim(),
          now,
        });
        syncEngine(candidate, ctx.engine);
        // Live subscribers see it now; serve's version watcher relaying it again is a no-op.
        ctx.engine.relay(event);
        return { plan, dryRun, applied: version };
      } catch (err) {
        if (err instanceof VersionError) return conflict(err.message);
        throw err;
      }
    },
  }),
  rollbackPolicy: t.field({
    type: RollbackResultRef,
    description:
      'Reactivate the previous policy version, or version `to` (admin); audited policy_rolled_back.',
    args: { to: t.arg.int(), reason: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      const denied = authorize(ctx, 'rollbackPolicy', 'admin', null);
      if (denied) return denied;
      const problem = checkReason(args.reason);
      if (problem) return problem;
      const store = requireVersionStore(ctx);
      try {
        const { from, version, event } = reactivateVersion(store, args.to ?? undefined, {
          author: ctx.principal.name,
          reason: args.reason.trim(),
          now: Date.now(),
        });
        syncEngine(policySetOfContent(version.content), ctx.engine);
        ctx.engine.relay(event);
        return { from, to: version };
      } catch (err) {
        if (!(err instanceof VersionError)) throw err;
        return err.code === 'VERSION_NOT_FOUND' ? notFound(err.message) : conflict(err.message);
      }
    },
  }),
}));
