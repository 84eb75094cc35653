/**
 * The agent → hub wire protocol (issue 15), shared by the shipper (src/agent) and the hub
 * (src/hub). One request: `POST /agent/v1/ship` with `Authorization: Bearer <agent token>` and a
 * Batch. The batch holds the agent's audit events with ids in (after, last id], strictly
 * increasing, plus the agent's current service views; an empty batch is a heartbeat. `after`
 * null means "I do not know your cursor": events must then be empty, and the reply says where to
 * resume. The reply: `{ cursor }`, the highest event id the hub holds for this node; every event
 * up to it is stored. Re-sending events the hub has is harmless (idempotent on node + event id).
 *
 * Commands down (the hub never dials an agent): the reply also carries `commands`, the operator
 * commands queued at the hub for this node and not yet answered (the same command again until its
 * result arrives: the agent runs each id once). The agent runs them through its own API and
 * engine (every local guard and audit applies) and sends their `results` with its next batch.
 *
 * Refusals (JSON `{ error: { code, message }, cursor? }`): 401 UNAUTHENTICATED, 403 WRONG_NODE /
 * WRONG_ROLE (not an agent token),
 * 400 MALFORMED_BATCH / OUT_OF_ORDER, 409 GAP (after > cursor: the reply's cursor says where to
 * resume), 409 STORE_CHANGED (events from a store the node no longer ships from: two agents
 * with one node name), 413 BATCH_TOO_LARGE, 503 HUB_UNAVAILABLE (PostgreSQL unreachable).
 *
 * Event ids in a batch and the cursor in the reply are always the agent's own numbering (of its
 * current store); the hub maps them (src/hub/ingest.ts).
 */
import { z } from 'zod';
import { policyShape } from '../core/policy.js';
import { maintenanceSnapshotSchema, maintenanceWindowSchema, type ShippedWindow } from './maintenance.js';

export const SHIP_PATH = '/agent/v1/ship';
/** Most events one batch may carry. */
export const MAX_BATCH_EVENTS = 500;
/** Most bytes one request body may have. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

const name = z.string().min(1).max(200);

/** One audit event as the agent recorded it (the hub keeps the whole object). */
export const shippedEvent = z.looseObject({
  id: z.number().int().positive(),
  at: z.number().int().nonnegative(),
  service: name.nullable(),
  kind: z.string().min(1).max(100),
});

/** One service's current read model (core ServiceView; `state.tag` is what the hub filters on). */
export const shippedView = z.looseObject({
  name,
  unit: z.string(),
  state: z.looseObject({ tag: z.string().min(1).max(50) }),
});

/**
 * The operations a hub command may carry: the agent's mutations of the same name. checkDrift,
 * scheduleMaintenance and cancelMaintenance are node-wide: their `service` is NODE_WIDE (a window
 * for one service names it), their arguments are in `args`, and the result carries the report
 * (`drift`) or the window (`window`).
 */
export const COMMAND_OPERATIONS = [
  'holdService',
  'releaseService',
  'approveRestart',
  'forceRestart',
  'resetCircuit',
  'checkDrift',
  'scheduleMaintenance',
  'cancelMaintenance',
] as const;

/** The node-wide operations (not one service's mutation with `name`). */
export const NODE_WIDE_OPERATIONS: readonly CommandOperation[] = [
  'checkDrift',
  'scheduleMaintenance',
  'cancelMaintenance',
];

/** `service` of a command that addresses the whole node (checkDrift, most maintenance windows). */
export const NODE_WIDE = '*';

/** A drift report (the agent's DriftReport: src/api/schema/ports.ts), as shipped. */
export const driftReportSchema = z.object({
  ok: z.boolean(),
  checkedAt: z.union([z.number(), z.string()]),
  findings: z
    .array(
      z.object({
        source: z.enum(['systemd', 'fs', 'repo']),
        service: z.string().nullable(),
        field: z.string(),
        expected: z.unknown(),
        actual: z.unknown(),
        severity: z.enum(['error', 'warning']),
        fix: z.string().nullable(),
      }),
    )
    .max(1000),
});

/**
 * The agent's runtime contract as its API's `runtimeContract` answers it (valid, errors, declared
 * services, the latest drift report); shipped when it changed (absent = unchanged), null when the
 * agent runs without a contract.
 */
export const contractSnapshotSchema = z.object({
  path: z.string().max(4096),
  valid: z.boolean(),
  errors: z.array(z.string().max(2000)).max(200),
  services: z.array(z.string().max(200)).max(10_000),
  drift: driftReportSchema.nullable(),
  /**
   * What the agent's `/runbook` says per service (unit, active policy, health probe) and its
   * systemd scope, so the hub's `/runbook` renders the same sections for the fleet. Absent from
   * agents older than this field (the hub then has no section for their services).
   */
  runbook: z
    .object({
      scope: z.enum(['system', 'user']),
      services: z
        .array(
          z.object({
            name,
            unit: z.string().min(1).max(256),
            policyName: z.string().min(1).max(200),
            policy: policyShape,
            health: z
              .object({ url: z.string().max(2048), intervalSec: z.number(), timeoutMs: z.number() })
              .nullable(),
          }),
        )
        .max(10_000),
    })
    .optional(),
});
export type ContractSnapshot = z.infer<typeof contractSnapshotSchema>;
export type CommandOperation = (typeof COMMAND_OPERATIONS)[number];

/** A command as the hub delivers it. */
export const fleetCommandSchema = z.object({
  id: z.number().int().positive(),
  service: name,
  operation: z.enum(COMMAND_OPERATIONS),
  /** Arguments besides name and reason (holdService: `{ ttlSec }`). */
  args: z.record(z.string(), z.unknown()),
  /** Who asked at the hub, and the role the hub granted them. */
  actor: z.string().min(1).max(200),
  role: z.enum(['viewer', 'operator', 'admin']),
  reason: z.string().min(1).max(500),
  expiresAt: z.number().int(),
});
export type FleetCommand = z.infer<typeof fleetCommandSchema>;

/**
 * What came of a command at the agent: the agent mutation's result type (`Service` when it was
 * taken, or one of its typed errors with code and message) and the service state afterwards.
 */
export const commandResultSchema = z.object({
  id: z.number().int().positive(),
  at: z.number().int().nonnegative(),
  ok: z.boolean(),
  /** The agent's result __typename: Service, ConflictError, NotFoundError, NotAllowedError, ValidationError, or Error. */
  type: z.string().min(1).max(100),
  code: z.string().max(100).nullable(),
  message: z.string().max(2000).nullable(),
  /** The service's state tag after the command (null when there is no such service). */
  state: z.string().max(50).nullable(),
  /** checkDrift: the report (absent for other operations). */
  drift: driftReportSchema.optional(),
  /** scheduleMaintenance / cancelMaintenance: the window as the agent's mutation answered it. */
  window: maintenanceWindowSchema.optional(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/** Most results one batch may carry. */
export const MAX_BATCH_RESULTS = 100;

/** Most remote services one agent may watch. */
export const MAX_WATCH = 1000;

/** `node/name`: a service on another node (a fleet dependency). */
export const remoteRefSchema = z
  .string()
  .max(401)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[^/]+$/, 'a remote service is node/name');

/**
 * The hub's answer about one watched service: its state as its node last shipped it (null: the
 * hub holds no such service), how old that is, and the node silence beyond which it is stale.
 * The agent judges it (core/dependency.ts judgeRemote).
 */
export const remoteStateSchema = z.object({
  id: remoteRefSchema,
  state: z.looseObject({ tag: z.string().min(1).max(50) }).nullable(),
  ageMs: z.number().int().nonnegative(),
  staleAfterMs: z.number().int().nonnegative(),
});
export type RemoteState = z.infer<typeof remoteStateSchema>;

export const batchSchema = z.object({
  node: name.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a node name is letters, digits, ".", "_" and "-"'),
  version: z.string().max(100).nullable(),
  /**
   * The agent's store identity (random, made with its SQLite database): a new store restarts its
   * event ids at 1, and the hub numbers them after the old store's (src/hub/ingest.ts). Absent
   * from agents older than it (then ids are taken as they come).
   */
  store: z
    .string()
    .regex(/^[A-Za-z0-9-]{8,64}$/, 'a store id is 8-64 letters, digits and "-"')
    .optional(),
  after: z.number().int().nonnegative().nullable(),
  /**
   * On a handshake (`after` null): the id of the store's newest event. A hub holding more of
   * this store's events than that knows the store was restored from an older copy and numbers
   * its next events after the ones it holds (src/hub/ingest.ts). Absent from older agents.
   */
  newest: z.number().int().nonnegative().optional(),
  events: z.array(shippedEvent).max(MAX_BATCH_EVENTS),
  services: z.array(shippedView).max(10_000),
  /** Results of commands delivered earlier (absent = none). */
  results: z.array(commandResultSchema).max(MAX_BATCH_RESULTS).default([]),
  /** The agent's runtime contract when it changed since the last accepted batch (absent = unchanged). */
  contract: contractSnapshotSchema.nullable().optional(),
  /** The agent's maintenance windows when they changed since the last accepted batch (absent = unchanged). */
  maintenance: maintenanceSnapshotSchema.optional(),
  /**
   * Services on other nodes this agent's services depend on (`node/name`, fleet dependencies):
   * the reply's `remote` carries their current state (absent = none watched).
   */
  watch: z.array(remoteRefSchema).max(MAX_WATCH).optional(),
});

export type Batch = z.infer<typeof batchSchema>;

/** What the agent sends (its own AuditEvents and ServiceViews; the hub validates with batchSchema). */
export interface OutgoingBatch {
  node: string;
  version: string | null;
  store?: string;
  after: number | null;
  newest?: number;
  events: readonly { id: number; at: number; service: string | null; kind: string }[];
  services: readonly { name: string; unit: string; state: { tag: string } }[];
  results?: readonly CommandResult[];
  contract?: ContractSnapshot | null;
  maintenance?: readonly ShippedWindow[];
  watch?: readonly string[];
}
export type ShippedEvent = z.infer<typeof shippedEvent>;

/** The hub's reply to a batch (the agent reads it leniently per command: src/fleet/ship-reply.ts). */
export interface ShipReply {
  cursor: number;
  /** Commands for this node waiting for a result (oldest first). */
  commands: FleetCommand[];
  /** The watched remote services' states (absent: the batch watched none, or an older hub). */
  remote?: RemoteState[];
}

export type ShipErrorCode =
  | 'UNAUTHENTICATED'
  | 'WRONG_NODE'
  | 'WRONG_ROLE'
  | 'MALFORMED_BATCH'
  | 'OUT_OF_ORDER'
  | 'GAP'
  | 'STORE_CHANGED'
  | 'BATCH_TOO_LARGE'
  | 'HUB_UNAVAILABLE';

/** Why a well-formed batch is out of order, or null: ids strictly increasing and above `after`. */
export function orderProblem(batch: Batch): string | null {
  if (batch.events.length === 0) return null;
  if (batch.after === null) return 'events sent without a cursor (send an empty batch first)';
  let prev = batch.after;
  for (const e of batch.events) {
    if (e.id <= prev) return `event id ${e.id} does not follow ${prev}`;
    prev = e.id;
  }
  return null;
}
