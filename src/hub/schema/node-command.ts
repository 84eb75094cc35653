/**
 * What the hub's node-wide commands (checkDrift, scheduleMaintenance, cancelMaintenance) share
 * with the service commands (commands.ts): the role check at the hub (a refusal is the agent's
 * NOT_ALLOWED, audited as `access_denied` once per token and operation per minute), and the
 * answer once the command settled — the agent's success value (its DriftReport, its
 * MaintenanceWindow), its typed error, or PendingCommand when it has not answered in time; the
 * reason's bounds and a failed lookup's typed error.
 */
import { invalid, type MutationErrorShape, notFound } from '../../api/schema/shared/errors.js';
import type { PendingShape } from '../../api/schema/shared/pending-command.js';
import { hasRole, type TokenRole } from '../../core/roles.js';
import type { CommandResult } from '../../fleet/protocol.js';
import type { StoredCommand } from '../commands.js';
import { agentRefusal } from './agent-refusal.js';
import type { HubContext } from './builder.js';

/** A command its agent has not answered (yet): the hub's PendingCommand. */
export type Pending = PendingShape & { pending: StoredCommand };

/** The role a command runs with at the agent (a bot or alertmanager token acts as a viewer). */
export type CommandRole = StoredCommand['role'];

/** NOT_ALLOWED (audited) unless the caller has `required`; else the role the command carries. */
export function authorizeHub(
  ctx: HubContext,
  operation: string,
  required: 'operator' | 'admin',
  target: { node?: string | null; service?: string | null },
): { role: CommandRole } | { error: MutationErrorShape } {
  const { principal } = ctx;
  const role = principal.role === 'bot' || principal.role === 'alertmanager' ? 'viewer' : principal.role;
  if (hasRole(role, required)) return { role: role as CommandRole };
  ctx.denials.refuse({
    actor: principal.name,
    role: principal.role,
    operation,
    required,
    node: target.node ?? null,
    service: target.service ?? null,
  });
  return {
    error: {
      code: 'NOT_ALLOWED',
      message: `${operation} needs role ${required}; token '${principal.name}' has role ${principal.role}`,
      requiredRole: required,
    },
  };
}

/**
 * A settled node-wide command as its agent's mutation answered: `value(result)` when it was
 * taken, the agent's typed error when not, PendingCommand while it is open or once it expired.
 */
export function nodeWideOutcome<T>(
  cmd: StoredCommand,
  value: (r: CommandResult) => T | undefined,
  required: TokenRole,
): T | MutationErrorShape | Pending {
  const r = cmd.result;
  if (cmd.state !== 'done' || !r) return { pending: cmd };
  const taken = r.ok ? value(r) : undefined;
  if (taken !== undefined) return taken;
  return agentRefusal(cmd, r, required);
}

/** The longest reason a hub command carries (the agent's own limit). */
export const MAX_REASON = 500;

/** VALIDATION unless the (trimmed) reason is 1..MAX_REASON characters. */
export function reasonProblem(reason: string): MutationErrorShape | null {
  return reason.length === 0 || reason.length > MAX_REASON
    ? invalid('reason', `reason must be 1 to ${MAX_REASON} characters`)
    : null;
}

/** A failed service or node lookup (nodes.ts) as the mutation's typed error. */
export function lookupRefusal(found: {
  code: 'NOT_FOUND' | 'AMBIGUOUS';
  message: string;
  nodes?: string[];
}): MutationErrorShape {
  return found.code === 'AMBIGUOUS'
    ? { code: 'AMBIGUOUS', message: found.message, nodes: found.nodes ?? [] }
    : notFound(found.message);
}
