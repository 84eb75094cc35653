/**
 * The one translation path for operator commands: authorize → validate → look up → submit.
 * The engine decides; a decision that changed nothing (`taken: false`, e.g. `not_pending`)
 * comes back as CONFLICT with its code. Refusals by role are audited as `access_denied`.
 */

import { hasRole, type TokenRole } from '../../../core/roles.js';
import type { ServiceStatus } from '../../../core/status.js';
import type { Input, Operator } from '../../../core/types.js';
import type { ApiContext } from '../context.js';
import { isLocal, localNode } from '../service-id.js';
import { conflict, invalid, type MutationErrorShape, notFound } from '../types/errors.js';
import { serviceStatus } from '../types/service.js';

export const MAX_REASON = 500;

/**
 * NOT_ALLOWED unless the caller has `required`. The refusal is audited as `access_denied` at
 * most once per principal and operation per minute, with `count` = the refusals it stands for;
 * a principal refused more than the threshold gets 429 for a while (core/throttle.ts, yoga.ts).
 */
export function authorize(
  ctx: ApiContext,
  operation: string,
  required: TokenRole,
  service: string | null,
): MutationErrorShape | null {
  const { principal } = ctx;
  if (hasRole(principal.role, required) || (required === 'bot' && principal.bot === true)) return null;
  const verdict = ctx.denials.refuse(principal.name, operation, ctx.now());
  if (verdict.write)
    ctx.engine.record({
      service: service && ctx.engine.services.has(service) ? service : null,
      kind: 'access_denied',
      decision: null,
      taken: false,
      input: null,
      actor: principal.name,
      reason: `${operation} needs role ${required}`,
      stateFrom: null,
      stateTo: null,
      counters: null,
      effects: [],
      mode: null,
      data: {
        operation,
        role: principal.role,
        required,
        via: principal.via,
        service,
        count: verdict.count,
        firstAt: verdict.firstAt,
        lastAt: verdict.lastAt,
      },
    });
  return {
    code: 'NOT_ALLOWED',
    message: `${operation} needs role ${required}; token '${principal.name}' has role ${principal.role}`,
    requiredRole: required,
  };
}

export function checkReason(reason: string): MutationErrorShape | null {
  const trimmed = reason.trim();
  if (trimmed.length === 0) return invalid('reason', 'reason must not be empty');
  if (trimmed.length > MAX_REASON) return invalid('reason', `reason is longer than ${MAX_REASON} characters`);
  return null;
}

/** The `node` argument every service-addressed mutation takes (one query for agent and hub). */
export const NODE_ARG =
  'The node (MEDIC_NODE_NAME): on an agent its own name or nothing; required at the hub when several nodes run that name.';

export interface CommandSpec {
  operation: string;
  /** The node the caller addressed (null: this one). */
  node?: string | null;
  required: TokenRole;
  service: string;
  reason: string;
  /** Extra argument checks (e.g. ttlSec), run after authorization. */
  validate?: () => MutationErrorShape | null;
  input: (operator: Operator) => Input;
}

export async function runCommand(
  ctx: ApiContext,
  spec: CommandSpec,
): Promise<ServiceStatus | MutationErrorShape> {
  const denied = authorize(ctx, spec.operation, spec.required, spec.service);
  if (denied) return denied;
  const problem = checkReason(spec.reason) ?? spec.validate?.() ?? null;
  if (problem) return problem;
  if (!isLocal(ctx, spec.node))
    return notFound(
      `this medic is node ${localNode(ctx)}, not ${spec.node}: ask the fleet hub for other nodes`,
    );
  if (!ctx.engine.services.has(spec.service)) return notFound(`no service named '${spec.service}'`);
  const operator: Operator = { actor: ctx.principal.name, reason: spec.reason.trim() };
  const { decision } = await ctx.engine.submit(spec.service, spec.input(operator), {
    source: ctx.principal.via === 'in-process' ? 'slack' : ctx.principal.via === 'hub' ? 'hub' : 'graphql',
    data: {
      operation: spec.operation,
      role: ctx.principal.role,
      ...(ctx.principal.hubCommand !== undefined ? { hubCommand: ctx.principal.hubCommand } : {}),
    },
  });
  if (!decision.taken)
    return conflict(decision.detail || `${spec.operation} changed nothing`, decision.decision);
  return serviceStatus(ctx, spec.service) ?? notFound(`no service named '${spec.service}'`);
}
