/**
 * The agent's reading of the hub's ship reply, lenient per command (protocol compatibility,
 * docs/FLEET.md): a hub newer than the agent may deliver an operation this agent's version does
 * not know (e.g. scheduleMaintenance to an agent older than it). Such a command is set apart as
 * `unsupported` — the agent answers it with an UNSUPPORTED_OPERATION result, at once — instead of
 * making the whole reply unreadable (which would stop shipping until the command expired).
 *
 * Everything else is as strict as before: a reply that is not an object with a cursor, a command
 * that is malformed in any other way (no id, a known operation with bad arguments, an unknown
 * role, ...), or bad remote states refuse the whole reply (null).
 */
import { z } from 'zod';
import {
  COMMAND_OPERATIONS,
  type CommandResult,
  type FleetCommand,
  fleetCommandSchema,
  remoteStateSchema,
  type ShipReply,
} from './protocol.js';

/** A command well-formed in every field but one: its operation is one this agent does not know. */
const otherCommandSchema = fleetCommandSchema.extend({ operation: z.string().min(1).max(100) });
export type UnsupportedCommand = z.infer<typeof otherCommandSchema>;

const known = new Set<string>(COMMAND_OPERATIONS);

const replyShape = z.object({
  cursor: z.number().int().nonnegative(),
  commands: z.array(z.unknown()).default([]),
  remote: z.array(remoteStateSchema).optional(),
});

/** A readable reply: the commands this agent runs, and those it cannot (in delivery order each). */
export interface ParsedShipReply extends ShipReply {
  unsupported: UnsupportedCommand[];
}

/** The reply read leniently per command, or null when it is malformed otherwise. */
export function parseShipReply(body: unknown): ParsedShipReply | null {
  const shape = replyShape.safeParse(body);
  if (!shape.success) return null;
  const commands: FleetCommand[] = [];
  const unsupported: UnsupportedCommand[] = [];
  for (const raw of shape.data.commands) {
    const command = fleetCommandSchema.safeParse(raw);
    if (command.success) {
      commands.push(command.data);
      continue;
    }
    const other = otherCommandSchema.safeParse(raw);
    // A known operation that fails its schema is a malformed reply, as before.
    if (!other.success || known.has(other.data.operation)) return null;
    unsupported.push(other.data);
  }
  const { cursor, remote } = shape.data;
  return { cursor, commands, unsupported, ...(remote ? { remote } : {}) };
}

/**
 * The result an agent ships for a command it cannot run: not taken, type Error, code
 * UNSUPPORTED_OPERATION, naming the agent's version and the operation (nothing ran).
 */
export function unsupportedResult(
  command: UnsupportedCommand,
  version: string | null,
  at: number,
): CommandResult {
  const agent = version ? `medic ${version}` : 'an unknown version';
  return {
    id: command.id,
    at,
    ok: false,
    type: 'Error',
    code: 'UNSUPPORTED_OPERATION',
    message:
      `this agent (${agent}) does not run ${command.operation}: it is older than the hub; upgrade it to run ${command.operation} (nothing was done)`.slice(
        0,
        2000,
      ),
    state: null,
  };
}
