/**
 * The browser surface beside the API: the status page at `/`, its server-rendered cards at
 * `/ui/services[/NAME]` (bearer token, any role), same-origin assets under `/static/`, and
 * `/go/<service>` when no Slack bot claims it (it then lands on that service's card).
 *
 * Cards are rendered from one GraphQL query run in-process with the caller's principal, so the
 * page shows exactly what the API allows that token to see. The fleet hub serves the same page
 * (`fleet: true`): the same queries against its schema (the agent's types), the cards grouped by
 * node under each node's connected/unreachable state (`renderFleetCards`). `/ui/budget` (any
 * role) is the fleet restart budget section (`budget.ts`; empty when no policy names a budget).
 */
import type { TokenRole } from '../../core/roles.js';
import { BUDGET_FIELDS } from '../schema/shared/budget-query.js';
import { serveStatic } from './assets.js';
import { type BudgetGroupView, renderBudget } from './budget.js';
import {
  CARD_FIELDS,
  type CardNode,
  type CardService,
  NODE_FIELDS,
  renderCard,
  renderCards,
  renderFleetCards,
} from './cards.js';
import { pageHeaders, renderStatusPage, STATUS_CSP } from './page.js';

/** Who asks for cards: the token's name and role (an agent's Principal or the hub's). */
export interface UiPrincipal {
  name: string;
  role: TokenRole;
}

/** The in-process GraphQL fetch (`yoga.fetch`), taking the principal in the server context. */
export type InProcessFetch<P extends UiPrincipal> = (
  url: string,
  init: RequestInit,
  serverContext: { principal: P },
) => Promise<Response> | Response;

/** A bearer token checked: the principal, or why not (401 unknown/missing, 403 wrong role, 503). */
export type UiAuth<P extends UiPrincipal> =
  | { ok: true; principal: P }
  | { ok: false; status: 401 | 403 | 503; reason: string };

export interface UiDeps<P extends UiPrincipal> {
  graphql: InProcessFetch<P>;
  authenticate(header: string | null): UiAuth<P> | Promise<UiAuth<P>>;
  now(): number;
  /** The fleet hub: cards of every node, grouped by node (default false: one agent's services). */
  fleet?: boolean;
}

export interface Ui {
  /** Answers the paths the UI owns, or null for anything else. */
  fetch(request: Request): Promise<Response | null>;
}

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });

const CARDS_QUERY = `query Cards { services { ${CARD_FIELDS} } }`;
const BUDGET_QUERY = `query Budget { budgetGroups { ${BUDGET_FIELDS} } }`;
const CARD_QUERY = `query Card($name: String!, $node: String) { service(name: $name, node: $node) { ${CARD_FIELDS} } }`;
// The hub lists at most 500 services per call: its cards are read page by page (keyset on node/name).
const FLEET_QUERY = `query FleetCards($after: String, $node: String) {
  nodes { ${NODE_FIELDS} }
  servicePage(first: 500, after: $after, node: $node) { nodes { ${CARD_FIELDS} } hasNextPage endCursor }
}`;

interface FleetPage {
  nodes: CardNode[];
  servicePage: { nodes: CardService[]; hasNextPage: boolean; endCursor: string | null };
}

export function createUi<P extends UiPrincipal>(deps: UiDeps<P>): Ui {
  let page: string | null = null;

  async function query<T>(principal: P, q: string, variables: Record<string, unknown>) {
    const res = await deps.graphql(
      'http://medic.internal/graphql',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: q, variables }),
      },
      { principal },
    );
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length || !body.data) {
      throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
    }
    return body.data;
  }

  /** Every node and service of the fleet, or of one node (pages of 500; nodes from the first page). */
  async function fleet(
    principal: P,
    node: string | null,
  ): Promise<{ nodes: CardNode[]; services: CardService[] }> {
    const services: CardService[] = [];
    let nodes: CardNode[] | null = null;
    let after: string | null = null;
    for (;;) {
      const data: FleetPage = await query<FleetPage>(principal, FLEET_QUERY, { after, node });
      nodes ??= node === null ? data.nodes : data.nodes.filter((n) => n.name === node);
      services.push(...data.servicePage.nodes);
      if (!data.servicePage.hasNextPage || !data.servicePage.endCursor) return { nodes, services };
      after = data.servicePage.endCursor;
    }
  }

  /** The caller's principal, or the refusal to answer (401 with a challenge, 403, 503). */
  async function principalOf(request: Request): Promise<P | Response> {
    const auth = await deps.authenticate(request.headers.get('authorization'));
    if (auth.ok) return auth.principal;
    const why = auth.status === 401 ? 'unauthorized' : auth.status === 403 ? 'forbidden' : 'unavailable';
    return text(
      auth.status,
      `${why}: ${auth.reason}`,
      auth.status === 401 ? { 'www-authenticate': 'Bearer realm="medic"' } : {},
    );
  }

  async function budget(request: Request): Promise<Response> {
    const principal = await principalOf(request);
    if (principal instanceof Response) return principal;
    const data = await query<{ budgetGroups: BudgetGroupView[] }>(principal, BUDGET_QUERY, {});
    const markup = renderBudget(data.budgetGroups, deps.now(), deps.fleet === true);
    return new Response(markup.text, { headers: pageHeaders(STATUS_CSP) });
  }

  async function cards(request: Request, name: string | null): Promise<Response> {
    const principal = await principalOf(request);
    if (principal instanceof Response) return principal;
    const now = deps.now();
    const headers = pageHeaders(STATUS_CSP);
    const node = new URL(request.url).searchParams.get('node');
    if (name === null) {
      if (deps.fleet) {
        // `?node=NAME`: that node's section only (a fleet too large for one page).
        const { nodes, services } = await fleet(principal, node);
        return new Response(renderFleetCards(nodes, services, principal, now).text, { headers });
      }
      const data = await query<{ services: CardService[] }>(principal, CARDS_QUERY, {});
      return new Response(renderCards(data.services, principal, now).text, { headers });
    }
    const data = await query<{ service: CardService | null }>(principal, CARD_QUERY, { name, node });
    if (!data.service) return text(404, `no service named ${name}${node ? ` on ${node}` : ''}`);
    return new Response(renderCard(data.service, principal.role, now, deps.fleet).text, { headers });
  }

  return {
    async fetch(request) {
      const { pathname } = new URL(request.url);
      const owned =
        pathname === '/' ||
        pathname.startsWith('/static/') ||
        pathname.startsWith('/ui/') ||
        pathname.startsWith('/go/');
      if (!owned) return null;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return text(405, 'method not allowed', { allow: 'GET, HEAD' });
      }
      if (pathname === '/') {
        page ??= renderStatusPage();
        return new Response(page, { headers: pageHeaders(STATUS_CSP) });
      }
      const asset = await serveStatic(request, pathname);
      if (asset) return asset;
      if (pathname === '/ui/services') return cards(request, null);
      if (pathname === '/ui/budget') return budget(request);
      const one = /^\/ui\/services\/([^/]+)$/.exec(pathname);
      if (one) return cards(request, decodeURIComponent(one[1]));
      const go = /^\/go\/([^/]+)\/?$/.exec(pathname);
      if (go) {
        // No Slack bot mounted /go/: the status page is where the operator acts.
        const service = decodeURIComponent(go[1]);
        return new Response(null, {
          status: 302,
          headers: { location: `/?service=${encodeURIComponent(service)}`, 'cache-control': 'no-store' },
        });
      }
      return text(404, 'not found');
    },
  };
}
