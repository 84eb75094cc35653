/**
 * The browser surface beside the API: the status page at `/`, its server-rendered cards at
 * `/ui/services[/NAME]` (bearer token, any role), same-origin assets under `/static/`, and
 * `/go/<service>` when no Slack bot claims it (it then lands on that service's card).
 *
 * Cards are rendered from one GraphQL query run in-process with the caller's principal, so the
 * page shows exactly what the API allows that token to see.
 */
import { authenticate } from '../http/auth.js';
import type { ApiStore, Principal } from '../schema/ports.js';
import { serveStatic } from './assets.js';
import { CARD_FIELDS, type CardService, renderCard, renderCards } from './cards.js';
import { pageHeaders, renderStatusPage, STATUS_CSP } from './page.js';

/** The in-process GraphQL fetch (`yoga.fetch`), taking the principal in the server context. */
export type InProcessFetch = (
  url: string,
  init: RequestInit,
  serverContext: { principal: Principal },
) => Promise<Response> | Response;

export interface UiDeps {
  graphql: InProcessFetch;
  store: Pick<ApiStore, 'findTokenByHash'>;
  now(): number;
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
const CARD_QUERY = `query Card($name: String!) { service(name: $name) { ${CARD_FIELDS} } }`;

export function createUi(deps: UiDeps): Ui {
  let page: string | null = null;

  async function query<T>(principal: Principal, q: string, variables: Record<string, unknown>) {
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

  async function cards(request: Request, name: string | null): Promise<Response> {
    const auth = authenticate(request.headers.get('authorization'), deps.store);
    if (!auth.ok) {
      return text(401, `unauthorized: ${auth.reason}`, { 'www-authenticate': 'Bearer realm="medic"' });
    }
    const now = deps.now();
    const headers = pageHeaders(STATUS_CSP);
    if (name === null) {
      const data = await query<{ services: CardService[] }>(auth.principal, CARDS_QUERY, {});
      return new Response(renderCards(data.services, auth.principal, now).text, { headers });
    }
    const data = await query<{ service: CardService | null }>(auth.principal, CARD_QUERY, { name });
    if (!data.service) return text(404, `no service named ${name}`);
    return new Response(renderCard(data.service, auth.principal.role, now).text, { headers });
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
