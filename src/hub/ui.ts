/**
 * The agent's status page at the hub, for the whole fleet: `/`, `/ui/services[/NAME?node=]`,
 * `/static/…` and `/go/<service>` are answered by the agent's own UI (`src/api/ui/routes.ts`,
 * `fleet: true`: cards grouped by node under each node's connected/unreachable state), its
 * GraphQL queries run in-process against the hub's schema (the agent's types) with the caller's
 * hub principal. A bearer token any role but `agent` reads the cards (401 unknown, 403 an agent
 * token, 503 PostgreSQL down); the page itself and its assets need none, as on an agent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { YogaServerInstance } from 'graphql-yoga';
import { createUi } from '../api/ui/routes.js';
import type { HubAuthenticator } from './auth.js';
import type { HubContext, HubPrincipal } from './schema/index.js';

export type HubYoga = YogaServerInstance<
  { req: IncomingMessage; res: ServerResponse; principal: HubPrincipal },
  HubContext
>;

/** Paths the status page owns at the hub (the rest of the hub's routes come first). */
export const isUiPath = (path: string) =>
  path === '/' || path.startsWith('/static/') || path.startsWith('/ui/') || path.startsWith('/go/');

export function createHubUi(deps: {
  yoga: HubYoga;
  auth: Pick<HubAuthenticator, 'operator'>;
  now: () => number;
}) {
  const ui = createUi<HubPrincipal>({
    fleet: true,
    // The hub's context reads only the principal and the request from the server context.
    graphql: (url, init, serverContext) =>
      deps.yoga.fetch(url, init, serverContext as Parameters<HubYoga['fetch']>[2]),
    authenticate: async (header) => {
      const who = await deps.auth.operator(header);
      return who.ok ? who : { ok: false, status: who.status, reason: who.message };
    },
    now: deps.now,
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    // Only GET and HEAD are answered (405 otherwise, by the UI): no request body to carry.
    const request = new Request(new URL(req.url ?? '/', 'http://hub.local'), { method: req.method, headers });
    const response = await ui.fetch(request);
    if (!response) return false;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    const body = req.method === 'HEAD' ? null : Buffer.from(await response.arrayBuffer());
    res.end(body ?? undefined);
    return true;
  };
}
