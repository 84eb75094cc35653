/**
 * Which page of the fleet the hub's status page shows: its query string (`node`, `state`,
 * `after` or `before`, `at`), the order of states, and the page cursor. A cursor is
 * `STATE:node/name`: the last card of the previous page (`after`: the page after it) or the first
 * card of the next page (`before`: the page before it); an empty id stands for that state's
 * first service (after) or its last (before). It is an opaque position: a service that changes
 * state between two pages may be shown twice or skipped, as with any keyset listing.
 */
import { STATE_NAMES, type StateName } from '../../core/types.js';

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

export interface FleetCursor {
  state: StateName;
  id: string | null;
}

export interface FleetQuery {
  node: string | null;
  filter: FleetFilter;
  after: FleetCursor | null;
  /** The page before this position (a "previous page" link); never together with `after`. */
  before: FleetCursor | null;
  /** How many services the previous pages showed (display only: "101–200 of …"). */
  at: number;
}

const isState = (s: string): s is StateName => (STATE_NAMES as readonly string[]).includes(s);

function parseCursor(cursor: string): FleetCursor | null {
  const colon = cursor.indexOf(':');
  const state = cursor.slice(0, Math.max(colon, 0));
  return isState(state) ? { state, id: cursor.slice(colon + 1) || null } : null;
}

/** The page's query string, or why it is not one. */
export function parseFleetQuery(params: URLSearchParams): FleetQuery | { error: string } {
  const filter = params.get('state') || 'all';
  if (filter !== 'all' && filter !== 'attention' && !isState(filter))
    return { error: `unknown state filter '${filter}' (all, attention or a service state)` };
  const cursors: Record<'after' | 'before', FleetCursor | null> = { after: null, before: null };
  for (const name of ['after', 'before'] as const) {
    const text = params.get(name);
    if (!text) continue;
    cursors[name] = parseCursor(text);
    if (!cursors[name]) return { error: `'${text}' is not a page cursor (STATE:node/name)` };
  }
  if (cursors.after && cursors.before) return { error: 'a page is after a cursor or before one, not both' };
  const at = Number(params.get('at') ?? 0);
  return {
    node: params.get('node') || null,
    filter,
    ...cursors,
    at: Number.isSafeInteger(at) && at > 0 ? at : 0,
  };
}

export const formatCursor = (state: StateName, id: string | null) => `${state}:${id ?? ''}`;

/** The states a filter shows, most urgent first. */
export const statesOf = (filter: FleetFilter): readonly StateName[] =>
  filter === 'all' ? SEVERITY : filter === 'attention' ? SEVERITY.filter((s) => s !== 'healthy') : [filter];
