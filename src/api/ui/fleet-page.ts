/**
 * What the hub's status page reads: ONE page of the fleet, not the fleet. A fleet of 20,000
 * services is listed most urgent first — by state in `SEVERITY` order, then by `node/name` — in
 * pages of `FLEET_PAGE_SIZE` cards, filtered by node and by state (`attention`: every state but
 * healthy). Each state is read with the schema's own keyset paging (`servicePage(state, after)`),
 * one state after the other until the page is full, so a page costs a few indexed queries
 * whatever the fleet's size. Counts per state come from `nodes { counts }` (one grouped query).
 *
 * The cursor of the next page is `STATE:node/name` (the last card's state and id; an empty id
 * starts that state from its first service). It is an opaque position: a service that changes
 * state between two pages may be shown twice or skipped, as with any keyset listing.
 */
import { STATE_NAMES, type StateName } from '../../core/types.js';
import { CARD_FIELDS, type CardService } from './cards.js';

export const FLEET_PAGE_SIZE = 100;

/** States by how soon an operator should look; the page lists services in this order. */
export const SEVERITY: readonly StateName[] = [
  'circuit_open',
  'half_open',
  'restarting',
  'budget_wait',
  'deferred',
  'cooldown',
  'held',
  'healthy',
];

export type FleetFilter = 'all' | 'attention' | StateName;

export interface FleetQuery {
  node: string | null;
  filter: FleetFilter;
  after: { state: StateName; id: string | null } | null;
  /** How many services the previous pages showed (display only: "101–200 of …"). */
  at: number;
}

const isState = (s: string): s is StateName => (STATE_NAMES as readonly string[]).includes(s);

/** The page's query string (`node`, `state`, `after`, `at`), or why it is not one. */
export function parseFleetQuery(params: URLSearchParams): FleetQuery | { error: string } {
  const filter = params.get('state') || 'all';
  if (filter !== 'all' && filter !== 'attention' && !isState(filter))
    return { error: `unknown state filter '${filter}' (all, attention or a service state)` };
  const cursor = params.get('after');
  let after: FleetQuery['after'] = null;
  if (cursor) {
    const colon = cursor.indexOf(':');
    const state = cursor.slice(0, Math.max(colon, 0));
    if (!isState(state)) return { error: `'${cursor}' is not a page cursor (STATE:node/name)` };
    after = { state, id: cursor.slice(colon + 1) || null };
  }
  const at = Number(params.get('at') ?? 0);
  return { node: params.get('node') || null, filter, after, at: Number.isSafeInteger(at) && at > 0 ? at : 0 };
}

export const formatCursor = (state: StateName, id: string | null) => `${state}:${id ?? ''}`;

/** The states a filter shows, most urgent first. */
export const statesOf = (filter: FleetFilter): readonly StateName[] =>
  filter === 'all' ? SEVERITY : filter === 'attention' ? SEVERITY.filter((s) => s !== 'healthy') : [filter];

/** A node as the page shows it (the fields of `Node` in FLEET_NODE_FIELDS). */
export interface FleetNode {
  name: string;
  /** connected | unreachable */
  state: string;
  connected: boolean;
  lastSeenAt: string;
  downSince: string | null;
  counts: { state: string; count: number }[];
}

export interface FleetPage {
  /** Every node (or the filtered one), with its services counted by state. */
  nodes: FleetNode[];
  /** Services by state tag over those nodes. */
  counts: Map<string, number>;
  services: CardService[];
  /** The cursor of the next page, or null: this is the last. */
  next: string | null;
}

export const FLEET_NODE_FIELDS = 'name state connected lastSeenAt downSince counts { state count }';
const NODES_QUERY = `query FleetNodes { nodes { ${FLEET_NODE_FIELDS} } }`;
const NODE_QUERY = `query FleetNode($node: String!) { node(name: $node) { ${FLEET_NODE_FIELDS} } }`;
const PAGE_QUERY = `query FleetCards($first: Int!, $after: String, $node: String, $state: ServiceState) {
  servicePage(first: $first, after: $after, node: $node, state: $state) { nodes { ${CARD_FIELDS} } hasNextPage endCursor }
}`;

/** Runs one GraphQL query with the caller's principal (routes.ts). */
export type RunQuery = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

interface PageData {
  servicePage: { nodes: CardService[]; hasNextPage: boolean; endCursor: string | null };
}

export async function readFleetPage(
  run: RunQuery,
  q: FleetQuery,
  size = FLEET_PAGE_SIZE,
): Promise<FleetPage> {
  const nodes = q.node
    ? [(await run<{ node: FleetNode | null }>(NODE_QUERY, { node: q.node })).node].filter((n) => n !== null)
    : (await run<{ nodes: FleetNode[] }>(NODES_QUERY, {})).nodes;
  const counts = new Map<string, number>();
  for (const n of nodes) for (const c of n.counts) counts.set(c.state, (counts.get(c.state) ?? 0) + c.count);
  const order = statesOf(q.filter).filter((s) => (counts.get(s) ?? 0) > 0);
  // Resume at the cursor's state, or at the next state after it that still has services.
  const from = q.after ? SEVERITY.indexOf(q.after.state) : 0;
  let i = order.findIndex((s) => SEVERITY.indexOf(s) >= from);
  let after = q.after && order[i] === q.after.state ? q.after.id : null;
  const services: CardService[] = [];
  while (i >= 0 && i < order.length && services.length < size) {
    const state = order[i]!;
    const vars = { first: size - services.length, after, node: q.node, state };
    const { servicePage: page } = await run<PageData>(PAGE_QUERY, vars);
    services.push(...page.nodes);
    if (page.hasNextPage && page.endCursor)
      return { nodes, counts, services, next: formatCursor(state, page.endCursor) };
    i++;
    after = null;
  }
  const next = i >= 0 && i < order.length ? formatCursor(order[i]!, null) : null;
  return { nodes, counts, services, next };
}
