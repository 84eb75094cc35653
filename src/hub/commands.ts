/**
 * Longer than ~200 lines on purpose: every state transition of a command (issue, deliver, result,
 * expire) side by side, so each UPDATE ... WHERE state IN (...) can be read against the others.
 *
 * Operator commands down to agents (issue 15), stored in PostgreSQL (table fleet_commands):
 * issued at the hub (audited `command_issued`), delivered in the replies to the node's own ship
 * requests until its result comes back (`command_result`), or expired when no result came by
 * `expiresAt` (`command_expired`, never executed late: an expired command is no longer
 * delivered). Every state change is one UPDATE ... WHERE state IN (...) RETURNING, so with several
 * replicas each transition (and its audit event) happens exactly once.
 */
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { fleetCommands } from '../../db/pg/schema.js';
import type { CommandOperation, CommandResult, FleetCommand } from '../fleet/protocol.js';
import type { HubDb } from './db.js';
import { type HubEvent, type HubTx, recordHubEvent } from './events.js';

export type CommandState = 'pending' | 'delivered' | 'done' | 'expired';
const OPEN: CommandState[] = ['pending', 'delivered'];

export interface StoredCommand {
  id: number;
  node: string;
  service: string;
  operation: CommandOperation;
  args: Record<string, unknown>;
  actor: string;
  role: 'viewer' | 'operator' | 'admin';
  reason: string;
  state: CommandState;
  createdAt: number;
  expiresAt: number;
  deliveredAt: number | null;
  deliveries: number;
  finishedAt: number | null;
  result: CommandResult | null;
}

const toCommand = (row: typeof fleetCommands.$inferSelect): StoredCommand => ({
  ...row,
  operation: row.operation as CommandOperation,
  args: row.args as Record<string, unknown>,
  role: row.role as StoredCommand['role'],
  state: row.state as CommandState,
  result: (row.result as CommandResult | null) ?? null,
});

export interface NewCommand {
  node: string;
  service: string;
  operation: CommandOperation;
  args: Record<string, unknown>;
  actor: string;
  role: StoredCommand['role'];
  reason: string;
}

/** Queues a command for `cmd.node`, expiring `ttlMs` from now; audited `command_issued`. */
export async function issueCommand(
  db: HubDb,
  cmd: NewCommand,
  now: number,
  ttlMs: number,
): Promise<StoredCommand> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(fleetCommands)
      .values({ ...cmd, state: 'pending', createdAt: now, expiresAt: now + ttlMs })
      .returning();
    await recordHubEvent(tx, {
      at: now,
      kind: 'command_issued',
      node: cmd.node,
      service: cmd.service,
      actor: cmd.actor,
      data: {
        command: row!.id,
        operation: cmd.operation,
        args: cmd.args,
        reason: cmd.reason,
        role: cmd.role,
        expiresAt: now + ttlMs,
      },
    });
    return toCommand(row!);
  });
}

export async function getCommand(db: HubDb, id: number): Promise<StoredCommand | null> {
  const [row] = await db.select().from(fleetCommands).where(eq(fleetCommands.id, id));
  return row ? toCommand(row) : null;
}

export async function listCommands(
  db: HubDb,
  q: { node?: string | null; state?: CommandState | null; after?: number | null; first: number },
): Promise<StoredCommand[]> {
  const rows = await db
    .select()
    .from(fleetCommands)
    .where(
      and(
        q.node ? eq(fleetCommands.node, q.node) : undefined,
        q.state ? eq(fleetCommands.state, q.state) : undefined,
        q.after != null ? gt(fleetCommands.id, q.after) : undefined,
      ),
    )
    .orderBy(asc(fleetCommands.id))
    .limit(Math.min(Math.max(q.first, 1), 500));
  return rows.map(toCommand);
}

/**
 * The node's open, unexpired commands, oldest first, marked delivered (inside the ship
 * transaction). A command stays deliverable until its result arrives: a lost reply re-delivers
 * it, and the agent runs each id once.
 */
export async function deliverCommands(tx: HubTx, node: string, now: number): Promise<FleetCommand[]> {
  const rows = await tx
    .update(fleetCommands)
    .set({
      state: 'delivered',
      deliveredAt: sql`coalesce(${fleetCommands.deliveredAt}, ${now})`,
      deliveries: sql`${fleetCommands.deliveries} + 1`,
    })
    .where(
      and(eq(fleetCommands.node, node), inArray(fleetCommands.state, OPEN), gt(fleetCommands.expiresAt, now)),
    )
    .returning();
  return rows
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: r.id,
      service: r.service,
      operation: r.operation as CommandOperation,
      args: r.args as Record<string, unknown>,
      actor: r.actor,
      role: r.role as FleetCommand['role'],
      reason: r.reason,
      expiresAt: r.expiresAt,
    }));
}

/**
 * Stores the agent's results (inside the ship transaction): an open command of THIS node becomes
 * done (`command_result`); a result for an expired command is kept and audited as late (it ran
 * after the hub had given up: the operator sees it); anything else (another node's id, a repeat)
 * changes nothing.
 */
export async function applyResults(
  tx: HubTx,
  node: string,
  results: readonly CommandResult[],
  now: number,
): Promise<HubEvent[]> {
  const events: HubEvent[] = [];
  for (const result of results) {
    const mine = and(eq(fleetCommands.id, result.id), eq(fleetCommands.node, node));
    const [done] = await tx
      .update(fleetCommands)
      .set({ state: 'done', result, finishedAt: now })
      .where(and(mine, inArray(fleetCommands.state, OPEN)))
      .returning();
    const [late] = done
      ? [undefined]
      : await tx
          .update(fleetCommands)
          .set({ result })
          .where(and(mine, eq(fleetCommands.state, 'expired'), sql`${fleetCommands.result} IS NULL`))
          .returning();
    const row = done ?? late;
    if (!row) continue;
    events.push(
      await recordHubEvent(tx, {
        at: now,
        kind: 'command_result',
        node,
        service: row.service,
        actor: row.actor,
        data: { command: row.id, operation: row.operation, late: !done, ...result },
      }),
    );
  }
  return events;
}

/** Expires every open command past its TTL, one `command_expired` each (exactly once across replicas). */
export async function expireCommands(db: HubDb, now: number): Promise<HubEvent[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(fleetCommands)
      .set({ state: 'expired', finishedAt: now })
      .where(and(inArray(fleetCommands.state, OPEN), lte(fleetCommands.expiresAt, now)))
      .returning();
    const events: HubEvent[] = [];
    for (const row of rows.sort((a, b) => a.id - b.id)) {
      events.push(
        await recordHubEvent(tx, {
          at: now,
          kind: 'command_expired',
          node: row.node,
          service: row.service,
          actor: row.actor,
          data: {
            command: row.id,
            operation: row.operation,
            // Delivered but unanswered: the agent may have run it (its result, if any, comes late).
            delivered: row.deliveredAt !== null,
            expiresAt: row.expiresAt,
          },
        }),
      );
    }
    return events;
  });
}
