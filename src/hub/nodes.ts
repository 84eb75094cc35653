/**
 * The fleet read side: nodes with their liveness, and the paginated fleet service listing.
 *
 * A node is `connected` when it reported within the silence limit (MEDIC_HUB_SILENCE_SEC) and
 * `unreachable` otherwise; judged at read time against the hub's clock, so every replica agrees
 * without a timer.
 */
import { and, asc, count, desc, eq, gt, lt, or, type SQL, sql } from 'drizzle-orm';
import { fleetServices, nodes } from '../../db/pg/schema.js';
import { contractSnapshotSchema } from '../fleet/protocol.js';
import type { RunbookNode } from '../runbook/model.js';
import type { HubDb } from './db.js';

export type NodeState = 'connected' | 'unreachable';
export const NODE_STATES: readonly NodeState[] = ['connected', 'unreachable'];

export interface FleetNode {
  name: string;
  version: string | null;
  firstSeenAt: number;
  lastSeenAt: number;
  cursor: number;
  /** Set while the hub has recorded `node_down` for the current silence. */
  downSince: number | null;
  state: NodeState;
  /** Services of this node by state tag. */
  counts: { state: string; count: number }[];
}

export interface FleetService {
  node: string;
  name: string;
  state: string;
  view: Record<string, unknown>;
  updatedAt: number;
}

export const nodeState = (lastSeenAt: number, now: number, silenceMs: number): NodeState =>
  now - lastSeenAt > silenceMs ? 'unreachable' : 'connected';

/** Every node (or only `only`), by name. */
export async function listNodes(
  db: HubDb,
  now: number,
  silenceMs: number,
  only?: string,
): Promise<FleetNode[]> {
  const rows = await db
    .select()
    .from(nodes)
    .where(only === undefined ? undefined : eq(nodes.name, only))
    .orderBy(asc(nodes.name));
  const counts = await db
    .select({ node: fleetServices.node, state: fleetServices.state, count: count() })
    .from(fleetServices)
    .where(only === undefined ? undefined : eq(fleetServices.node, only))
    .groupBy(fleetServices.node, fleetServices.state)
    .orderBy(asc(fleetServices.node), asc(fleetServices.state));
  return rows.map((r) => ({
    ...r,
    state: nodeState(r.lastSeenAt, now, silenceMs),
    counts: counts.filter((c) => c.node === r.name).map(({ state, count }) => ({ state, count })),
  }));
}

export interface ServicePageQuery {
  first: number;
  /** Keyset cursor: the `node/name` id of the last service of the previous page. */
  after?: string | null;
  /** Backward: the `first` services just before this `node/name` id (the next page's first). */
  before?: string | null;
  /** Read backward: the last `first` services (before `before`, or of all). */
  backward?: boolean;
  node?: string | null;
  state?: string | null;
}

export const MAX_SERVICE_PAGE = 500;

const splitId = (id: string) => {
  const slash = id.indexOf('/');
  return slash < 0 ? [id, ''] : [id.slice(0, slash), id.slice(slash + 1)];
};

/**
 * One page ordered by (node, name): after `after`, or (backward) the last ones before `before`;
 * with whether more follow and precede (the side the cursor came from: as the cursor says).
 */
export async function listServices(
  db: HubDb,
  q: ServicePageQuery,
): Promise<{ services: FleetService[]; hasNextPage: boolean; hasPreviousPage: boolean }> {
  const first = Math.min(Math.max(Math.trunc(q.first), 1), MAX_SERVICE_PAGE);
  const conds: (SQL | undefined)[] = [];
  if (q.node) conds.push(eq(fleetServices.node, q.node));
  if (q.state) conds.push(eq(fleetServices.state, q.state));
  if (q.after) {
    const [node, name] = splitId(q.after);
    conds.push(
      or(gt(fleetServices.node, node), and(eq(fleetServices.node, node), gt(fleetServices.name, name))),
    );
  }
  if (q.before) {
    const [node, name] = splitId(q.before);
    conds.push(
      or(lt(fleetServices.node, node), and(eq(fleetServices.node, node), lt(fleetServices.name, name))),
    );
  }
  const dir = q.backward ? desc : asc;
  const rows = await db
    .select()
    .from(fleetServices)
    .where(and(...conds))
    .orderBy(dir(fleetServices.node), dir(fleetServices.name))
    .limit(first + 1);
  const page = rows.slice(0, first).map((r) => ({ ...r, view: r.view as Record<string, unknown> }));
  const more = rows.length > first;
  return q.backward
    ? { services: page.reverse(), hasNextPage: Boolean(q.before), hasPreviousPage: more }
    : { services: page, hasNextPage: more, hasPreviousPage: Boolean(q.after) };
}

/**
 * The services with these `node/name` ids, in the order asked, unknown ids left out: one
 * statement (the key's index) for a whole page of cards.
 */
export async function servicesByIds(db: HubDb, ids: readonly string[]): Promise<FleetService[]> {
  if (ids.length === 0) return [];
  const keys = ids.map((id) => {
    const [node, name] = splitId(id);
    return { node, name };
  });
  const rows = await db
    .select()
    .from(fleetServices)
    .where(
      sql`(${fleetServices.node}, ${fleetServices.name}) IN (SELECT k.node, k.name FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(node text, name text))`,
    );
  const byId = new Map(
    rows.map((r) => [`${r.node}/${r.name}`, { ...r, view: r.view as Record<string, unknown> }]),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export type ServiceLookup =
  | { ok: true; service: FleetService }
  | { ok: false; code: 'NOT_FOUND' | 'AMBIGUOUS'; message: string; nodes?: string[] };

/**
 * The service `name` on `node`; without `node`, the one node that has it (AMBIGUOUS when several
 * do: the caller must say which).
 */
export async function findService(
  db: HubDb,
  node: string | null | undefined,
  name: string,
): Promise<ServiceLookup> {
  const rows = await db
    .select()
    .from(fleetServices)
    .where(
      node ? and(eq(fleetServices.node, node), eq(fleetServices.name, name)) : eq(fleetServices.name, name),
    )
    .orderBy(asc(fleetServices.node))
    .limit(node ? 1 : 20);
  if (rows.length === 0)
    return {
      ok: false,
      code: 'NOT_FOUND',
      message: node ? `no service '${name}' on node ${node}` : `no service named '${name}'`,
    };
  if (rows.length > 1)
    return {
      ok: false,
      code: 'AMBIGUOUS',
      message: `service '${name}' runs on several nodes (${rows.map((r) => r.node).join(', ')}): pass node`,
      nodes: rows.map((r) => r.node),
    };
  const r = rows[0]!;
  return { ok: true, service: { ...r, view: r.view as Record<string, unknown> } };
}

export type NodeLookup =
  | { ok: true; node: string }
  | { ok: false; code: 'NOT_FOUND' | 'AMBIGUOUS'; message: string; nodes?: string[] };

/**
 * The node a node-wide call (checkDrift, runtimeContract) addresses: `node` when the hub knows
 * it; without `node`, the one node the hub knows (AMBIGUOUS when several: the caller must say which).
 */
export async function resolveNode(db: HubDb, node: string | null | undefined): Promise<NodeLookup> {
  const rows = await db
    .select({ name: nodes.name })
    .from(nodes)
    .where(node ? eq(nodes.name, node) : undefined)
    .orderBy(asc(nodes.name))
    .limit(node ? 1 : 20);
  if (rows.length === 0)
    return {
      ok: false,
      code: 'NOT_FOUND',
      message: node ? `no node named '${node}'` : 'no node has reported yet',
    };
  if (rows.length > 1)
    return {
      ok: false,
      code: 'AMBIGUOUS',
      message: `several nodes report to this hub (${rows.map((r) => r.name).join(', ')}): pass node`,
      nodes: rows.map((r) => r.name),
    };
  return { ok: true, node: rows[0]!.name };
}

/** A node's runtime contract as its agent last shipped it (null: none, or not shipped yet). */
export async function nodeContract(db: HubDb, node: string): Promise<unknown> {
  const [row] = await db.select({ contract: nodes.contract }).from(nodes).where(eq(nodes.name, node));
  return row?.contract ?? null;
}

/**
 * Every node's per-service runbook sources, as its agent last shipped them with its contract
 * (`ContractSnapshot.runbook`), by node name; a node without them (no contract, an older agent,
 * nothing shipped yet) is left out.
 */
export async function fleetRunbook(db: HubDb): Promise<RunbookNode[]> {
  const rows = await db
    .select({ name: nodes.name, runbook: sql<unknown>`${nodes.contract} -> 'runbook'` })
    .from(nodes)
    .orderBy(asc(nodes.name));
  const out: RunbookNode[] = [];
  for (const row of rows) {
    // Validated when it was shipped; parsed again so a row of another version cannot break the page.
    const parsed = contractSnapshotSchema.shape.runbook.safeParse(row.runbook ?? undefined);
    if (parsed.success && parsed.data) out.push({ node: row.name, ...parsed.data });
  }
  return out;
}
