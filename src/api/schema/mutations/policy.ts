/**
 * `applyPolicy` / `rollbackPolicy` (admin): the same application functions as `medic policy
 * apply` / `rollback` (src/rollout/apply.ts), which validate (every problem in one
 * ValidationError), replay the last `days` under the active and the candidate policy, activate
 * only when `dryRun: false` (audited `policy_applied`), switch the engine at once and relay the
 * event to live subscribers. These resolvers only check arguments and translate results.
 */
import { resolve } from 'node:path';
import {
  type ApplyPlan,
  applyPolicy,
  CandidateError,
  type Change,
  DEFAULT_DAYS,
  rollbackPolicy,
  type ServiceComparison,
  VersionError,
} from '../../../rollout/apply.js';
import type { PolicyVersion } from '../../../store/types.js';
import { builder } from '../builder.js';
import { conflict, invalid, type MutationErrorShape, notFound, resultUnion } from '../types/errors.js';
import { PolicyVersionRef } from '../types/policy-version.js';
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

const candidateProblem = (err: CandidateError): MutationErrorShape =>
  invalid('content', err.problems.map((p) => `${p.path}: ${p.message}`).join('; '));

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
      const now = ctx.now();
      try {
        const { plan, applied } = await applyPolicy(
          ctx.store,
          args.file != null
            ? { file: resolve(args.file), cwd: '/' }
            : { content: args.content!, name: '<graphql>' },
          { days, activate: !dryRun, author: ctx.principal.name, reason: args.reason.trim(), now },
          ctx.engine,
        );
        return { plan, dryRun, applied: applied?.version ?? null };
      } catch (err) {
        if (err instanceof CandidateError) return candidateProblem(err);
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
      try {
        const { from, version } = rollbackPolicy(
          ctx.store,
          args.to ?? undefined,
          { author: ctx.principal.name, reason: args.reason.trim(), now: ctx.now() },
          ctx.engine,
        );
        return { from, to: version };
      } catch (err) {
        if (!(err instanceof VersionError)) throw err;
        return err.code === 'VERSION_NOT_FOUND' ? notFound(err.message) : conflict(err.message);
      }
    },
  }),
}));
