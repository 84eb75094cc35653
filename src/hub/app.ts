/**
 * The hub's HTTP app, built apart from listening (tests call `handler` on any server):
 * `/healthz`, `/readyz` (503 while PostgreSQL does not answer), `/metrics`, `/graphql` and the
 * agents' `POST /agent/v1/ship`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga } from 'graphql-yoga';
import type { Clock } from '../clock/clock.js';
import { SHIP_PATH } from '../fleet/protocol.js';
import type { Logger } from '../log.js';
import type { HubDatabase } from './db.js';
import type { HubMetrics } from './metrics.js';
import { type HubContext, hubSchema } from './schema.js';
import { handleShip, sendJson } from './ship-route.js';

export interface HubAppDeps {
  database: HubDatabase;
  clock: Pick<Clock, 'now'>;
  metrics: HubMetrics;
  logger: Logger;
  silenceMs: number;
}

export function createHubApp(deps: HubAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { database, metrics, logger } = deps;
  const context: HubContext = { db: database.db, clock: deps.clock, silenceMs: deps.silenceMs };
  const yoga = createYoga<{ req: IncomingMessage; res: ServerResponse }>({
    schema: hubSchema,
    context: () => context,
    graphiql: false,
    logging: false,
  });
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') return yoga(req, res);
    if (path === SHIP_PATH) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
      return handleShip(req, res, { db: database.db, clock: deps.clock, metrics, logger });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') {
      const ok = await database.ping();
      return sendJson(res, ok ? 200 : 503, { ready: ok, reasons: ok ? [] : ['PostgreSQL is unreachable'] });
    }
    if (path === '/metrics') {
      try {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return res.end(text);
      } catch (err) {
        logger.warn({ err }, '/metrics: PostgreSQL unreachable');
        return sendJson(res, 503, { error: 'PostgreSQL is unreachable' });
      }
    }
    sendJson(res, 404, { error: 'not found' });
  };
  return (req, res) => {
    route(req, res).catch((err) => {
      logger.error({ err }, 'hub request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  };
}
