/**
 * What the hub's status page reads: ONE page of the fleet, not the fleet. A fleet of 20,000
 * services is listed most urgent first — by state in `SEVERITY` order, then by `node/name` — in
 * pages of `FLEET_PAGE_SIZE` cards, filtered by node and by state (fleet-query.ts). Each state is
 * read with the schema's own keyset paging, one state after the other until the page is full:
 * forward (`servicePage(state, first, after)`) for a page after a cursor, backward
 * (`servicePage(state, last, before)`, from the cursor's state towards the most urgent) for a
 * "previous page" — ids and states only; then the page's cards in ONE request,
 * `servicesByIds(ids)`, so the hub reads them and their five recent events for the whole page
 * with one statement each (recent-events.ts), not one per card. A page costs a few indexed
 * queries whatever the fleet's size. Counts per state come from `nodes { counts }` (one grouped
 * query).
 */
import type { StateName } from '../../core/types.js';
import { CARD_FIELDS, type CardService } from './cards.js';
import {
  FLEET_PAGE_SIZE,
  type FleetCursor,
  type FleetQuery,
  formatCursor,
  SEVERITY,
  statesOf,
} from './fleet-query.js';

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
  /** The cursor of the previous page (`before`), or null: this is the first. */
  prev: string | null;
}

export const FLEET_NODE_FIELDS = 'name state connected lastSeenAt downSince counts { state count }';
const NODES_QUERY = `query FleetNodes { nodes { ${FLEET_NODE_FIELDS} } }`;
const NODE_QUERY = `query FleetNode($node: String!) { node(name: $node) { ${FLEET_NODE_FIELDS} } }`;
const PAGE_QUERY = `query FleetPage($first: Int, $after: String, $last: Int, $before: String, $node: String, $state: ServiceState) {
  servicePage(first: $first, after: $after, last: $last, before: $before, node: $node, state: $state) {
    nodes { id state } hasNextPage hasPreviousPage endCursor startCursor
  }
}`;
const CARDS_QUERY = `query FleetCards($ids: [String!]!) { servicesByIds(ids: $ids) { ${CARD_FIELDS} } }`;

/** Runs one GraphQL query with the caller's principal (routes.ts). */
export type RunQuery = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

/** A service's place in the listing. */
interface Slot {
  id: string;
  state: string;
}

interface PageData {
  servicePage: {
    nodes: Slot[];
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    endCursor: string | null;
    startCursor: string | null;
  };
}

type Slots = { services: Slot[]; next: string | null; prev: string | null };

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
  const read = (vars: Record<string, unknown>) => run<PageData>(PAGE_QUERY, { ...vars, node: q.node });
  // A page before a cursor that reaches the first service is the first page: read as such, full.
  const slots =
    (q.before && (await backward(read, order, q.before, size))) || (await forward(read, order, q, size));
  // The cards of the whole page in one request: the hub reads their events in one statement.
  const ids = slots.services.map((s) => s.id);
  const cards =
    ids.length > 0 ? (await run<{ servicesByIds: CardService[] }>(CARDS_QUERY, { ids })).servicesByIds : [];
  return { nodes, counts, ...slots, services: cards };
}

/** The page after `q.after` (or the first), in `order`. */
async function forward(
  read: (vars: Record<string, unknown>) => Promise<PageData>,
  order: readonly StateName[],
  q: Pick<FleetQuery, 'after'>,
  size: number,
): Promise<Slots> {
  // Resume at the cursor's state, or at the next state after it that still has services.
  const from = q.after ? SEVERITY.indexOf(q.after.state) : 0;
  let i = order.findIndex((s) => SEVERITY.indexOf(s) >= from);
  let after = q.after && order[i] === q.after.state ? q.after.id : null;
  const services: Slot[] = [];
  const prev = q.after ? firstCursor(services) : () => null;
  while (i >= 0 && i < order.length && services.length < size) {
    const state = order[i]!;
    const { servicePage: page } = await read({ first: size - services.length, after, state });
    services.push(...page.nodes);
    if (page.hasNextPage && page.endCursor)
      return { services, next: formatCursor(state, page.endCursor), prev: prev() };
    i++;
    after = null;
  }
  const next = i >= 0 && i < order.length ? formatCursor(order[i]!, null) : null;
  return { services, next, prev: prev() };
}

/**
 * The page just before `before`: each state's services before the cursor, from its state back
 * towards the most urgent, until the page is full. Null when nothing precedes what it read (then
 * the first page is what to show).
 */
async function backward(
  read: (vars: Record<string, unknown>) => Promise<PageData>,
  order: readonly StateName[],
  before: FleetCursor,
  size: number,
): Promise<Slots | null> {
  const to = SEVERITY.indexOf(before.state);
  let i = order.findLastIndex((s) => SEVERITY.indexOf(s) <= to);
  let cursor = order[i] === before.state ? before.id : null;
  const services: Slot[] = [];
  while (i >= 0 && services.length < size) {
    const state = order[i]!;
    const { servicePage: page } = await read({ last: size - services.length, before: cursor, state });
    services.unshift(...page.nodes);
    if (page.hasPreviousPage || (services.length >= size && i > 0)) break;
    i--;
    cursor = null;
  }
  if (i < 0 || services.length < size) return null;
  const last = services.at(-1)!;
  return {
    services,
    next: formatCursor(last.state as StateName, last.id),
    prev: formatCursor(services[0]!.state as StateName, services[0]!.id),
  };
}

/** The `before` cursor of a page's first card, once the page is read. */
const firstCursor = (services: Slot[]) => () =>
  services[0] ? formatCursor(services[0].state as StateName, services[0].id) : null;
