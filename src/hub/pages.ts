/**
 * The hub's pages for the fleet, from the agent's own renderers:
 * - `GET /runbook` (HTML; `/runbook.md` or `?format=md` for Markdown), no token, like an agent's:
 *   the runbook's fleet-wide part (recommended actions, operator commands, alerts, a node gone
 *   dark `#fleet-node-down`, the decision table) and a section per node and service (anchor `service-<node>--<name>`), rendered by
 *   src/runbook/render.ts from what each agent shipped with its contract snapshot (its units,
 *   active policies, health probes and systemd scope). The services' `recommendedAction.runbookUrl`
 *   at the hub points here (MEDIC_PUBLIC_URL or the hub's URL).
 * - `GET /status` (viewer token or above): the agent's `/status` payload for the fleet,
 *   `{ generatedAt, services }` where each service is the agent's projection plus `node`
 *   (`?node=NAME` for one node).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RunbookFormat, renderRunbook } from '../runbook/render.js';
import type { HubAuthenticator } from './auth.js';
import type { HubDb } from './db.js';
import { type FleetServiceShape, fleetServiceShape } from './fleet-view.js';
import { fleetRunbook, listServices, MAX_SERVICE_PAGE } from './nodes.js';

const TYPES: Record<RunbookFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

export const PAGE_PATHS = ['/runbook', '/runbook.md', '/runbook.html', '/status'];

export interface PageDeps {
  db: HubDb;
  auth: HubAuthenticator;
  now: () => number;
  publicUrl: () => string;
}

/**
 * The runbook for the fleet: the fleet-wide part and one section per node and service, from what
 * each agent shipped with its contract (nodes.ts `fleetRunbook`). Rendered again only when that
 * changed (the key is the sources' JSON).
 */
async function runbook(
  db: HubDb,
  format: RunbookFormat,
  publicUrl: string,
  cache: Map<string, { key: string; text: string }>,
): Promise<string> {
  const fleet = await fleetRunbook(db);
  const key = JSON.stringify(fleet);
  const hit = cache.get(`${format} ${publicUrl}`);
  if (hit?.key === key) return hit.text;
  const text = renderRunbook({
    contract: { services: [] },
    format,
    source: { contract: "medic hub (each node's contract and active policies, as its agent shipped them)" },
    ...(publicUrl ? { publicUrl } : {}),
    fleet,
  });
  cache.set(`${format} ${publicUrl}`, { key, text });
  return text;
}

/** Every service of the fleet (of `node`), page by page. */
async function fleet(db: HubDb, node: string | null, publicUrl: string): Promise<FleetServiceShape[]> {
  const out: FleetServiceShape[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await listServices(db, { first: MAX_SERVICE_PAGE, after, node });
    out.push(...page.services.map((s) => fleetServiceShape(s, publicUrl)));
    const last = page.services.at(-1);
    if (!page.hasNextPage || !last) return out;
    after = `${last.node}/${last.name}`;
  }
}

export function createPages(deps: PageDeps) {
  const cache = new Map<string, { key: string; text: string }>();
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://hub.local');
    if (path === '/status') {
      const who = await deps.auth.operator(req.headers.authorization);
      if (!who.ok) {
        res.writeHead(who.status, {
          'content-type': 'application/json; charset=utf-8',
          ...(who.status === 401 ? { 'www-authenticate': 'Bearer realm="medic-hub"' } : {}),
        });
        res.end(JSON.stringify({ error: who.message, code: who.code }));
        return;
      }
      const services = await fleet(deps.db, url.searchParams.get('node'), deps.publicUrl());
      const body = JSON.stringify({
        generatedAt: new Date(deps.now()).toISOString(),
        // The agent's /status shape (its projection) plus node and id; not the hub-only view JSON.
        services: services.map(({ view: _view, updatedAt: _at, ...s }) => ({
          id: `${s.node}/${s.name}`,
          ...s,
        })),
      });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const format: RunbookFormat =
      path === '/runbook.md' || (path === '/runbook' && url.searchParams.get('format') === 'md')
        ? 'md'
        : 'html';
    const body = await runbook(deps.db, format, deps.publicUrl(), cache);
    res.writeHead(200, { 'content-type': TYPES[format], 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
