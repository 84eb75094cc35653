/**
 * The agent's reading of the hub's ship reply, tolerant per item (protocol compatibility,
 * docs/FLEET.md): a hub newer than the agent may send what this agent's version cannot read — an
 * operation it has no mutation for, a new role or other value in a command's field, fields it
 * never heard of, a remote state of a new shape. One such item never makes the reply unreadable
 * (which would stop shipping, and every other command, until the hub gave up on it):
 * - a command it cannot run is set apart in `refused`, to be answered at once, not run:
 *   UNSUPPORTED_OPERATION (an operation it does not know) or UNREADABLE_COMMAND (a known
 *   operation with a field it cannot read; `problem` says which and why);
 * - a command without an id it can answer (nothing to answer it by) and a remote state it cannot
 *   read are left out and counted in `ignored`;
 * - fields it does not know are ignored, at the top and in every item.
 * The reply is refused whole (null) only when its frame is unreadable: not an object, no valid
 * cursor, or `commands` not a list — nothing of it could be applied safely.
 */
import { z } from 'zod';
import {
  COMMAND_OPERATIONS,
  type CommandResult,
  type FleetCommand,
  fleetCommandSchema,
  type RemoteState,
  remoteStateSchema,
  type ShipReply,
} from './protocol.js';

const known = new Set<string>(COMMAND_OPERATIONS);

const frame = z.object({
  cursor: z.number().int().nonnegative(),
  commands: z.array(z.unknown()).default([]),
  remote: z.unknown().optional(),
});

/** What of a command is needed to answer it: its id (and, to say what it was, whatever reads). */
const answerable = z.object({ id: z.number().int().positive() });
const label = z.string().min(1).max(200);

/** A command this agent does not run, answered at once (`refusalResult`). */
export interface RefusedCommand {
  id: number;
  /** As delivered, when it is a short string (else null). */
  operation: string | null;
  service: string | null;
  actor: string | null;
  code: 'UNSUPPORTED_OPERATION' | 'UNREADABLE_COMMAND';
  /** UNREADABLE_COMMAND: the fields this agent could not read and why (`role: Invalid option: …`). */
  problem: string | null;
}

/** A readable reply: the commands this agent runs and those it does not (in delivery order each). */
export interface ParsedShipReply extends ShipReply {
  refused: RefusedCommand[];
  /** Items left out unread: commands without an answerable id, unreadable remote states. */
  ignored: { commands: number; remote: number };
}

/** `path: message` per issue, clipped: which field a command had that this agent cannot read. */
function problemOf(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.join('.') || '(command)'}: ${i.message}`)
    .join('; ')
    .slice(0, 500);
}

/** The reply read tolerantly per command and per remote state, or null when its frame is not readable. */
export function parseShipReply(body: unknown): ParsedShipReply | null {
  const shape = frame.safeParse(body);
  if (!shape.success) return null;
  const commands: FleetCommand[] = [];
  const refused: RefusedCommand[] = [];
  const ignored = { commands: 0, remote: 0 };
  for (const raw of shape.data.commands) {
    const command = fleetCommandSchema.safeParse(raw);
    if (command.success) {
      commands.push(command.data);
      continue;
    }
    const id = answerable.safeParse(raw);
    if (!id.success) {
      ignored.commands += 1;
      continue;
    }
    const r = raw as Record<string, unknown>;
    const text = (v: unknown) => (label.safeParse(v).success ? (v as string) : null);
    const operation = text(r.operation);
    const unsupported = operation !== null && !known.has(operation);
    refused.push({
      id: id.data.id,
      operation,
      service: text(r.service),
      actor: text(r.actor),
      code: unsupported ? 'UNSUPPORTED_OPERATION' : 'UNREADABLE_COMMAND',
      problem: unsupported ? null : problemOf(command.error),
    });
  }
  const remote = readRemote(shape.data.remote, ignored);
  return { cursor: shape.data.cursor, commands, refused, ignored, ...(remote ? { remote } : {}) };
}

/** The remote states that read (absent when the reply has none, or no list). */
function readRemote(value: unknown, ignored: { remote: number }): RemoteState[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    ignored.remote += 1;
    return undefined;
  }
  const states: RemoteState[] = [];
  for (const raw of value) {
    const state = remoteStateSchema.safeParse(raw);
    if (state.success) states.push(state.data);
    else ignored.remote += 1;
  }
  return states;
}

/**
 * The result an agent ships for a command it does not run: not taken, type Error, the refusal's
 * code, a message naming the agent's version, the operation and (unreadable) the field — nothing ran.
 */
export function refusalResult(command: RefusedCommand, version: string | null, at: number): CommandResult {
  const agent = version ? `medic ${version}` : 'an unknown version';
  const op = command.operation ?? 'an operation it cannot read';
  const message =
    command.code === 'UNSUPPORTED_OPERATION'
      ? `this agent (${agent}) does not run ${op}: it is older than the hub; upgrade it to run ${op} (nothing was done)`
      : `this agent (${agent}) cannot read command ${command.id} (${op}): ${command.problem ?? 'malformed'}; the hub is likely newer than the agent: upgrade it (nothing was done)`;
  return {
    id: command.id,
    at,
    ok: false,
    type: 'Error',
    code: command.code,
    message: message.slice(0, 2000),
    state: null,
  };
}
