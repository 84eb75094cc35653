/**
 * The hub's HTTP app, built apart from listening (tests call `handler` on any server):
 * `/healthz`, `/readyz` (503 while PostgreSQL does not answer), `/metrics` and `/graphql` (hub
 * tokens: viewer and up, auth.ts) and the agents' `POST /agent/v1/ship` (agent tokens).
 * GraphQL subscriptions are served over SSE (graphql-yoga's default) and graphql-ws (ws.ts);
 * `/runbook` and `/status` as on an agent (pages.ts); the agent's status page at `/` for the
 * fleet (ui.ts); GraphiQL at `/graphql` for a browser's GET (text/html), as on an agent: the page
 * needs no token (every query it sends does), its assets are the hub's own `/static/graphiql/`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createYoga, type Plugin } from 'graphql-yoga';
import { graphqlOverFetch, type YogaFetch } from '../../bot/graphql/transport.js';
import type { GraphqlFn } from '../../bot/types.js';
import { bearerToken } from '../api/http/auth.js';
import { GRAPHIQL_CSP, type GraphiqlOptions, renderGraphiqlPage } from '../api/ui/graphiql.js';
import { pageHeaders } from '../api/ui/page.js';
import type { Clock } from '../clock/clock.js';
import { SHIP_PATH } from '../fleet/protocol.js';
import type { Logger } from '../log.js';
import { HubAuthenticator } from './auth.js';
import { LeaseBatcher } from './budget-batch.js';
import { FinishBatcher } from './budget-finish-batch.js';
import { type BudgetRouteDeps, handleBudget, isBudgetPath } from './budget-route.js';
import { SlotWaits } from './budget-wait.js';
import type { HubBus } from './bus.js';
import type { HubDatabase } from './db.js';
import { HubDenials } from './denials.js';
import type { HubMetrics } from './metrics.js';
import { createPages, PAGE_PATHS } from './pages.js';
import { RecentEvents } from './recent-events.js';
import { type HubContext, type HubPrincipal, hubSchema } from './schema/index.js';
import { handleShip, sendJson } from './ship-route.js';
import { SLACK_EVENTS_PATH } from './slack-route.js';
import { findHubToken } from './tokens.js';
import { createHubUi, isUiPath } from './ui.js';
import { createHubWs } from './ws.js';

export interface HubAppDeps {
  database: HubDatabase;
  clock: Clock;
  metrics: HubMetrics;
  logger: Logger;
  bus: HubBus;
  silenceMs: number;
  commandTtlMs: number;
  commandWaitMs: number;
  /** Lease requests per transaction (MEDIC_HUB_BUDGET_BATCH; default 500). */
  budgetBatch?: number;
  /** Lease transactions at once (MEDIC_HUB_BUDGET_LANES; default 2). */
  budgetLanes?: number;
  /** Optimistic lease arbitration (MEDIC_HUB_BUDGET_OPTIMISTIC; default on; off: locked). */
  budgetOptimistic?: boolean;
  /** Least time between a lease lane's batch starts (MEDIC_HUB_BUDGET_LEASE_GAP_MS; default 0). */
  budgetLeaseGapMs?: number;
  /**
   * Slack's requests (slack-route.ts), when Slack is configured at the hub: built with the hub's
   * own GraphQL in-process, the Slack user's role in the server context.
   */
  slackEvents?: (graphql: GraphqlFn) => (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Base of runbook links (MEDIC_PUBLIC_URL, or the hub's URL once it listens); default relative links. */
  publicUrl?: () => string;
}

export interface HubApp {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** For `server.on('upgrade', …)`: GraphQL over WebSocket at /graphql (ws.ts). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(status === 401 ? { 'www-authenticate': 'Bearer realm="medic-hub"' } : {}),
  });
  res.end(
    JSON.stringify({
      errors: [
        { message: `${status === 401 ? 'unauthorized' : 'forbidden'}: ${message}`, extensions: { code } },
      ],
    }),
  );
}

/** A browser's GET of /graphql: GraphiQL's page, which needs no token (its queries do). */
const wantsGraphiql = (req: IncomingMessage) =>
  req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

/** The GraphiQL page (HTML) gets the same security headers as on an agent. */
const graphiqlHeaders: Plugin = {
  onResponse({ response }) {
    if (!response.headers.get('content-type')?.startsWith('text/html')) return;
    for (const [key, value] of Object.entries(pageHeaders(GRAPHIQL_CSP))) response.headers.set(key, value);
  },
};

export function createHubApp(deps: HubAppDeps): HubApp {
  const { database, metrics, logger } = deps;
  const auth = new HubAuthenticator(database.db, () => deps.clock.now());
  const denials = new HubDenials(database.db, () => deps.clock.now(), logger);
  const leases = new LeaseBatcher(
    database.db,
    deps.clock,
    deps.budgetBatch,
    deps.budgetLanes,
    deps.budgetOptimistic ?? true,
    deps.budgetLeaseGapMs ?? 0,
  );
  const finishes = new FinishBatcher(database.db, deps.clock, undefined, undefined, (rows) =>
    leases.ended(rows),
  );
  const waits = new SlotWaits(database.db, deps.clock);
  metrics.slotWaits(() => waits.count());
  const stopFreed = deps.bus.onBudgetFreed((group) => waits.freed(group));
  /** An agent token at an API door: refused by role (audited once a minute per token). */
  const operatorOnly = async (req: IncomingMessage, operation: string) => {
    const who = await auth.operator(req.headers.authorization);
    if (!who.ok && who.status === 403) {
      const secret = bearerToken(req.headers.authorization ?? null);
      const token = secret ? await findHubToken(database.db, secret).catch(() => null) : null;
      if (token)
        denials.refuse({
          actor: token.name,
          role: token.role,
          operation,
          required: 'viewer',
          node: token.node,
          service: null,
        });
    }
    return who;
  };
  const yoga = createYoga<{ req: IncomingMessage; res: ServerResponse; principal: HubPrincipal }, HubContext>(
    {
      schema: hubSchema,
      context: ({ principal, request }): HubContext => ({
        db: database.db,
        clock: deps.clock,
        silenceMs: deps.silenceMs,
        principal,
        bus: deps.bus,
        commandTtlMs: deps.commandTtlMs,
        commandWaitMs: deps.commandWaitMs,
        publicUrl: deps.publicUrl?.() ?? '',
        signal: request.signal,
        denials,
        recentEvents: new RecentEvents(database.db),
      }),
      graphqlEndpoint: '/graphql',
      landingPage: false,
      graphiql: { title: 'medic hub', headers: '{\n  "Authorization": "Bearer <token>"\n}' },
      renderGraphiQL: (options) => renderGraphiqlPage(options as GraphiqlOptions),
      plugins: [graphiqlHeaders],
      logging: false,
    },
  );
  const slackEvents = deps.slackEvents?.(
    graphqlOverFetch(yoga.fetch as YogaFetch, {
      serverContext: (actor) => ({ principal: { name: actor.id, role: actor.role } }),
    }),
  );
  // Subscriptions over graphql-ws too, as on an agent; 100 KiB messages like the agent's body limit.
  const ws = createHubWs({ yoga, auth, logger, maxPayload: 100 * 1024 });
  const pages = createPages({
    db: database.db,
    auth,
    now: () => deps.clock.now(),
    publicUrl: () => deps.publicUrl?.() ?? '',
  });
  const ui = createHubUi({ yoga, auth, now: () => deps.clock.now() });
  // The agents' budget requests (~2,000/s at 1,000 leases/s): their deps made once, not per request.
  const budget: BudgetRouteDeps = {
    db: database.db,
    leases,
    finishes,
    waits,
    auth,
    clock: deps.clock,
    logger,
    onExpired: () => metrics.leaseRequestExpired(),
  };
  const route = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (PAGE_PATHS.includes(path)) return pages(req, res, path);
    if (isUiPath(path) && (await ui(req, res))) return;
    if (path === '/graphql') {
      // yoga answers this GET with the page and never runs an operation for it (as on an agent).
      if (wantsGraphiql(req)) return yoga(req, res, { principal: undefined as unknown as HubPrincipal });
      const who = await operatorOnly(req, 'graphql');
      if (!who.ok) return refuse(res, who.status, who.code, who.message);
      return yoga(req, res, { principal: who.principal });
    }
    if (path === SHIP_PATH) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
      return handleShip(req, res, {
        db: database.db,
        clock: deps.clock,
        metrics,
        logger,
        denials,
        silenceMs: deps.silenceMs,
      });
    }
    if (path === SLACK_EVENTS_PATH && slackEvents) return slackEvents(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') {
      const ok = await database.ping();
      return sendJson(res, ok ? 200 : 503, { ready: ok, reasons: ok ? [] : ['PostgreSQL is unreachable'] });
    }
    if (path === '/metrics') {
      const who = await operatorOnly(req, 'metrics');
      if (!who.ok) return refuse(res, who.status, who.code, who.message);
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
  return {
    handler(req, res) {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      // The budget paths first and straight to their handler: the hub's busiest requests.
      const done = isBudgetPath(path) ? handleBudget(req, res, budget, path) : route(req, res, path);
      done.catch((err) => {
        logger.error({ err }, 'hub request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.end();
      });
    },
    upgrade: (req, socket, head) => ws.upgrade(req, socket, head),
    close: async () => {
      stopFreed();
      waits.close();
      await ws.close();
      await yoga.dispose();
    },
  };
}
