/**
 * `PendingCommand`: what the fleet hub answers when a node's agent has not answered a command
 * within the hub's bounded wait (MEDIC_HUB_COMMAND_WAIT_MS): the command stays queued until its
 * TTL (or has expired: never run late). A member of every command result union on both schemas,
 * so one mutation document (`... on PendingCommand { ... }`) is valid against an agent and the hub;
 * an agent runs its commands at once and never answers it. The hub adds `command: Command`.
 */
import { perBuilder } from './builder.js';

export interface PendingShape {
  pending: { id: number; node: string; state: string };
}

export const isPending = (value: unknown): value is PendingShape =>
  typeof value === 'object' && value !== null && 'pending' in value;

export const pendingCommandType = perBuilder((builder) =>
  builder.objectRef<PendingShape>('PendingCommand').implement({
    description:
      "The node's agent has not answered within the hub's wait (fleet hub only): follow it with `command(id)`.",
    fields: (t) => ({
      commandId: t.float({ description: "The hub's command id.", resolve: (p) => p.pending.id }),
      node: t.string({ resolve: (p) => p.pending.node }),
      // Not `state`: it would clash with Service.state (ServiceState!) in one selection of the union.
      commandState: t.string({
        description: 'pending (not fetched yet), delivered (no result yet) or expired (never run).',
        resolve: (p) => p.pending.state,
      }),
      message: t.string({
        resolve: (p) =>
          p.pending.state === 'expired'
            ? `command ${p.pending.id} expired before node ${p.pending.node} answered: it was not run`
            : `command ${p.pending.id} is ${p.pending.state}: node ${p.pending.node} has not answered yet`,
      }),
    }),
  }),
);
