/**
 * The browser surface beside the API: the status page at `/`, its server-rendered cards at
 * `/ui/services[/NAME]` (bearer token, any role), same-origin assets under `/static/`, and
 * `/go/<service>` when no Slack bot claims it (it then lands on that service's card).
 *
 * Cards are rendered from one GraphQL query run in-process with the caller's principal, so the
 * page shows exactly what the API allows that token to see. The fleet hub serves the same page
 * (`fleet: true`): the same queries against its schema (the agent's types), one page of the
 * fleet at a time (`/ui/services?node=&state=&after=`: fleet-page.ts, fleet-cards.ts); a query
 * string that is not one is 400 with the reason. `/ui/budget` (any
 * role) is the fleet restart budget section (`budget.ts`; empty when no policy names a budget).
 */
import type { TokenRole } from '../../core/roles.js';
import { BUDGET_FIELDS } from '../schema/shared/budget-query.js';
import { serveStatic } from './assets.js';
import { type BudgetGroupView, renderBudget } from './budget.js';
import { CARD_FIELDS, type CardService, renderCard, renderCards } from './cards.js';
import { renderFleetPage } from './fleet-cards.js';
import { readFleetPage } from './fleet-page.js';
import { parseFleetQuery } from './fleet-query.js';
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
export function createUi<P extends UiPrincipal>(deps: UiDeps<P>): Ui {
  let page: string | null = null;

  async function query<T>(principal: P, q: string, variables: Record<string, unknown>): Promise<T> {
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
        const q = parseFleetQuery(new URL(request.url).searchParams);
        if ('error' in q) return text(400, q.error);
        const page = await readFleetPage((gql, vars) => query(principal, gql, vars), q);
        return new Response(renderFleetPage(page, q, principal, now).text, { headers });
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
