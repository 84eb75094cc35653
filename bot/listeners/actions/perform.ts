/**
 * One operator action (approve / block / release) from a button or a slash command.
 *
 * Order matters: (1) the pending action must exist and be unused — else "already approved by
 * @x"; (2) the role must suffice — else the mutation is sent anyway so the API refuses and
 * audits `access_denied` (one authorization path), and nothing is claimed; (3) the service is
 * re-read and the action must still apply; (4) the pending action is claimed over GraphQL
 * (`claimPendingAction`, compare-and-set in the store) — exactly one of concurrent clicks wins;
 * (5) the mutation runs as the user.
 */
import type { Env } from '../../../src/config/env.js';
import { applicableKinds, type PendingAction, type PendingActionKind } from '../../../src/core/pending.js';
import { hasRole } from '../../../src/core/roles.js';
import { duration, hhmm } from '../../blocks/format.js';
import { claimPendingAction, getPendingAction, openPendingActions } from '../../graphql/bot-ops.js';
import { fetchService, type MutationOutcome, mutate, type ServiceWithApproval } from '../../graphql/ops.js';
import { BOT_ACTOR, mention, type RoleResolver } from '../../roles.js';
import type { BotClock, GraphqlFn } from '../../types.js';

export interface ActionContext {
  env: Env;
  /** The acting user's role, resolved at every click and command (id lists and user groups). */
  roles: RoleResolver;
  graphql: GraphqlFn;
  clock: Pick<BotClock, 'now'>;
  timeZone: string;
}

export interface ActionRequest {
  kind: PendingActionKind;
  userId: string;
  /** From a button; absent for slash commands (then the service's open action, if any, is claimed). */
  pendingId?: string;
  service?: string;
  ttlSec?: number;
  reason?: string;
}

export type ActionResult =
  | { ok: true; service: string; message: string }
  | {
      ok: false;
      code: 'STALE' | 'USED' | 'NOT_ALLOWED' | 'NOT_APPLICABLE' | 'NOT_FOUND' | string;
      message: string;
      service?: string;
    };

const PAST: Record<PendingActionKind, string> = {
  approve: 'approved',
  block: 'blocked',
  release: 'released',
};

function usedMessage(pa: PendingAction, tz: string): string {
  const who = pa.usedBy ? mention(pa.usedBy) : 'someone';
  return `Already ${PAST[pa.kind]} by ${who} at ${hhmm(pa.usedAt, tz)} — nothing was done.`;
}

function notApplicable(kind: PendingActionKind, s: ServiceWithApproval): string {
  if (kind === 'approve')
    return `No approval is pending for *${s.name}* (state \`${s.state}\`) — nothing was done.`;
  if (kind === 'release') return `*${s.name}* is not held (state \`${s.state}\`) — nothing was done.`;
  return `*${s.name}* is already held — nothing was done.`;
}

async function runMutation(
  ctx: ActionContext,
  req: ActionRequest,
  service: string,
): Promise<MutationOutcome> {
  const actor = await ctx.roles.actor(req.userId);
  const reason = req.reason?.trim() || `${req.kind} from Slack by ${req.userId}`;
  if (req.kind === 'approve') return mutate(ctx.graphql, actor, 'approveRestart', { name: service, reason });
  if (req.kind === 'release') return mutate(ctx.graphql, actor, 'releaseService', { name: service, reason });
  return mutate(ctx.graphql, actor, 'holdService', { name: service, ttlSec: req.ttlSec ?? 1800, reason });
}

export async function performAction(ctx: ActionContext, req: ActionRequest): Promise<ActionResult> {
  const tz = ctx.timeZone;
  const now = ctx.clock.now();
  let pa: PendingAction | null = null;
  if (req.pendingId) {
    pa = await getPendingAction(ctx.graphql, BOT_ACTOR, req.pendingId);
    if (!pa || pa.kind !== req.kind)
      return { ok: false, code: 'STALE', message: 'This button is no longer valid.' };
    if (pa.usedAt !== null)
      return { ok: false, code: 'USED', message: usedMessage(pa, tz), service: pa.service };
    if (pa.expiresAt <= now) {
      return {
        ok: false,
        code: 'STALE',
        message: `This button expired — use \`/medic ${req.kind} ${pa.service}\`.`,
        service: pa.service,
      };
    }
  }
  const service = pa?.service ?? req.service;
  if (!service) return { ok: false, code: 'NOT_FOUND', message: 'Which service? See `/medic help`.' };

  const actor = await ctx.roles.actor(req.userId);
  if (!hasRole(actor.role, 'operator')) {
    const outcome = await runMutation(ctx, req, service); // refused and audited by the API
    const message = outcome.ok
      ? 'Done.'
      : `Not allowed: ${req.kind} needs the operator role (you are ${actor.role}). Ask an operator or see docs/SLACK.md.`;
    return outcome.ok ? { ok: true, service, message } : { ok: false, code: 'NOT_ALLOWED', message, service };
  }

  const info = await fetchService(ctx.graphql, actor, service);
  if (!info) return { ok: false, code: 'NOT_FOUND', message: `No service named \`${service}\`.` };
  if (!applicableKinds(info).includes(req.kind)) {
    return { ok: false, code: 'NOT_APPLICABLE', message: notApplicable(req.kind, info), service };
  }

  // Claim the button (or, for a command, the service's open action of this kind) — first wins.
  const claimIds = pa
    ? [pa.id]
    : (await openPendingActions(ctx.graphql, BOT_ACTOR, service))
        .filter((p) => p.kind === req.kind)
        .map((p) => p.id);
  for (const id of claimIds) {
    const claim = await claimPendingAction(ctx.graphql, actor, id);
    if (!claim.ok) {
      const current = claim.action ?? (await getPendingAction(ctx.graphql, BOT_ACTOR, id));
      if (current?.usedAt != null)
        return { ok: false, code: 'USED', message: usedMessage(current, tz), service };
      if (pa) return { ok: false, code: 'STALE', message: 'This button is no longer valid.', service };
    }
  }

  const outcome = await runMutation(ctx, req, service);
  if (!outcome.ok)
    return { ok: false, code: outcome.code, message: `${outcome.code}: ${outcome.message}`, service };
  const what =
    req.kind === 'approve'
      ? `Approved one probe restart of *${service}*.`
      : req.kind === 'release'
        ? `Released the hold on *${service}*; automatic restarts resume.`
        : `Blocked automatic restarts of *${service}* for ${duration(req.ttlSec ?? 1800)}.`;
  return { ok: true, service, message: what };
}
