/**
 * How the hub answers a command its agent did not take (commands.ts outcomeOf, node-command.ts
 * nodeWideOutcome): the agent's own typed error when it is one the hub's API has (NOT_FOUND,
 * NOT_ALLOWED, CONFLICT, VALIDATION: same code, the agent's message); anything else — the agent
 * failed (INTERNAL, GRAPHQL), took it before a restart (ALREADY_TAKEN), or does not know the
 * operation (UNSUPPORTED_OPERATION: an agent older than the hub) or cannot read a field of the
 * command (UNREADABLE_COMMAND, e.g. a role newer than the agent) — a ValidationError on field
 * `agent` whose message names the node, the operation, the agent's answer and its code.
 */
import { invalid, type MutationErrorShape } from '../../api/schema/shared/errors.js';
import type { TokenRole } from '../../core/roles.js';
import type { CommandResult } from '../../fleet/protocol.js';
import type { StoredCommand } from '../commands.js';

const AGENT_CODES = new Set<string>(['NOT_FOUND', 'NOT_ALLOWED', 'CONFLICT', 'VALIDATION']);

/** The hub's error for a command `r` says was not taken. */
export function agentRefusal(cmd: StoredCommand, r: CommandResult, required: TokenRole): MutationErrorShape {
  const message = r.message ?? `${r.type} ${r.code ?? ''}`.trim();
  if (r.code && AGENT_CODES.has(r.code))
    return { code: r.code as MutationErrorShape['code'], message, requiredRole: required };
  return invalid('agent', `node ${cmd.node} did not run ${cmd.operation} (${r.code ?? r.type}): ${message}`);
}
