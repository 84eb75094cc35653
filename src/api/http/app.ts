/**
 * Longer than ~200 lines on purpose: the one place the API's endpoints are composed (routing,
 * limits, upgrade to graphql-ws); each endpoint's logic lives in its own file.
 *
 * The API's composition: `createApp(deps)` returns the yoga instance, a WHATWG `fetch` for the
 * built-in endpoints, a node `handler(req, res)` for `http.createServer`, and `close()`.
 * Listening is the caller's job (`medic serve`); tests use `app.fetch`/`yoga.fetch` or listen on
 * 127.0.0.1 port 0.
 *
 * Endpoints: /graphql (GraphiQL in browsers), /healthz, /readyz, /status (viewer token),
 * /alertmanager (Alertmanager's webhook, `alertmanager` token; alertmanager.ts),
 * /metrics (Prometheus, unauthenticated like most exporters: bind to localhost or firewall it).
 * Anything else goes to the first `deps.routes` entry whose prefix matches (Slack, runbook), as a
 * raw node request with its body unread; otherwise 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AlertRule } from '../../core/alerts.js';
import type { Engine } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type {
  ApiStore,
  BudgetHeardPort,
  ContractStatus,
  Principal,
  RawRoute,
  Readiness,
} from '../schema/ports.js';
import { createUi } from '../ui/routes.js';
import { ALERTMANAGER_PATH, createAlertReceiver } from './alertmanager.js';
import { authenticate } from './auth.js';
import { healthz, readyz } from './health.js';
import { DEFAULT_LIMITS, type QueryLimits } from './limits.js';
import { Metrics } from './metrics.js';
import { serveNode } from './node.js';
import { statusPayload } from './status.js';
import { createGraphqlWs } from './ws.js';
import { type ApiYoga, createApiYoga, GRAPHQL_PATH } from './yoga.js';

export interface ApiLimits extends QueryLimits {
  /** Largest accepted request body (default 100 kB); larger → 413. */
  maxBodyBytes: number;
  /** Most operations in one batched request (default 10). */
  maxBatch: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = { ...DEFAULT_LIMITS, maxBodyBytes: 100 * 1024, maxBatch: 10 };

export interface AppDeps {
  engine: Engine;
  /** The store (src/store/types.ts `Store` satisfies this). */
  store: ApiStore;
  logger: Logger;
  /** Source of "now" for /status and token bookkeeping (engine clock in tests). */
  clock: { now(): number };
  /** Base of links (runbook URLs): MEDIC_PUBLIC_URL, or http://host:port. */
  publicUrl: string;
  /** This agent's node name (MEDIC_NODE_NAME): `Service.node` and `id`; default the hostname. */
  node?: string;
  /** The fleet budget's last answers from the hub (issue 16), for `budgetGroups`. */
  budget?: BudgetHeardPort;
  contract?: ContractStatus | null;
  /** Readiness beyond the store (detection running...); default ready. */
  readiness?: () => Readiness;
  /** Raw node routes mounted by prefix (Slack `/slack/events`, `/go/`; runbook `/runbook`). */
  routes?: RawRoute[];
  /** Share one Metrics with the watchdog (observeProbe); created here when absent. */
  metrics?: Metrics;
  limits?: Partial<ApiLimits>;
  /** Reuse `services`/`service` results until the next event or clock second (default true). */
  readCache?: boolean;
  /** Run queries through graphql-jit (default true; false = the reference executor, for the bench). */
  compiledQueries?: boolean;
  /**
   * The services' Alertmanager rules (the contract's), read per request: `POST /alertmanager`
   * (alertmanager.ts). Without it, alerts map only through the `medic_service` label.
   */
  alertRules?: () => readonly { name: string; alerts?: readonly AlertRule[] }[];
}

export interface App {
  yoga: ApiYoga;
  metrics: Metrics;
  /** The engine as the API uses it (decision latency timed into metrics). */
  engine: Engine;
  fetch(request: Request): Promise<Response>;
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** For `server.on('upgrade', app.upgrade)`: GraphQL over WebSocket at /graphql (src/server/ws.ts). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

/** GET/HEAD, or a body whose length is declared up front. */
const hasFramedBody = (req: IncomingMessage) =>
  req.method === 'GET' ||
  req.method === 'HEAD' ||
  (req.headers['content-length'] !== undefined && !req.headers['transfer-encoding']);

const notFound = () => Response.json({ error: 'not found' }, { status: 404 });

export function createApp(deps: AppDeps): App {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...deps.limits };
  const metrics = deps.metrics ?? new Metrics();
  const engine = metrics.instrument(deps.engine);
  const contract = deps.contract ?? null;
  const detach = metrics.attach(engine, contract ? () => contract.lastDrift() : undefined);
  const logger = deps.logger.child({ component: 'api' });
  const yoga = createApiYoga({
    engine,
    store: deps.store,
    contract,
    logger: deps.logger,
    publicUrl: deps.publicUrl,
    node: deps.node,
    ...(deps.budget ? { budget: deps.budget } : {}),
    clock: deps.clock,
    limits,
    readCache: deps.readCache ?? true,
    compiledQueries: deps.compiledQueries ?? true,
  });
  const ws = createGraphqlWs({
    yoga,
    store: deps.store,
    logger: deps.logger,
    maxPayload: limits.maxBodyBytes,
  });
  // The status page, its cards and /static/ assets; /go/ only when no raw route (the Slack bot) owns it.
  const ui = createUi<Principal>({
    graphql: (url, init, serverContext) => yoga.fetch(url, init, serverContext),
    authenticate: (header) => {
      const auth = authenticate(header, deps.store);
      return auth.ok ? auth : { ok: false, status: 401, reason: auth.reason };
    },
    now: () => deps.clock.now(),
  });
  const alerts = createAlertReceiver({
    engine,
    store: deps.store,
    services: deps.alertRules ?? (() => [...engine.services.keys()].map((name) => ({ name }))),
    clock: deps.clock,
    metrics,
    logger: deps.logger,
  });
  const routes = [...(deps.routes ?? [])].sort((a, b) => b.prefix.length - a.prefix.length);

  async function fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === GRAPHQL_PATH) return yoga.fetch(request, {});
    const read = request.method === 'GET' || request.method === 'HEAD';
    if (!read && ['/healthz', '/readyz', '/status', '/metrics'].includes(pathname)) {
      return Response.json({ error: 'method not allowed' }, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    switch (pathname) {
      case ALERTMANAGER_PATH:
        return alerts(request);
      case '/healthz':
        return healthz();
      case '/readyz':
        return readyz(deps.store, deps.readiness);
      case '/metrics':
        return new Response(await metrics.text(), { headers: { 'content-type': metrics.contentType } });
      case '/status': {
        const auth = authenticate(request.headers.get('authorization'), deps.store);
        if (!auth.ok) {
          // A reason phrase beside the JSON body: clients that show only the status line still say why.
          return Response.json(
            { error: `unauthorized: ${auth.reason}`, code: 'UNAUTHENTICATED' },
            {
              status: 401,
              statusText: 'Unauthorized',
              headers: { 'www-authenticate': 'Bearer realm="medic"' },
            },
          );
        }
        return Response.json(statusPayload(engine, deps.publicUrl, deps.clock.now()));
      }
      default:
        return (await ui.fetch(request)) ?? notFound();
    }
  }

  const builtIn = new Set([GRAPHQL_PATH, '/healthz', '/readyz', '/status', '/metrics', ALERTMANAGER_PATH]);

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0];
    const route = builtIn.has(pathname) ? undefined : routes.find((r) => pathname.startsWith(r.prefix));
    let done: Promise<unknown>;
    if (route) done = Promise.resolve().then(() => route.handle(req, res));
    else if (pathname === GRAPHQL_PATH && hasFramedBody(req)) {
      // yoga's own node adapter is the fast path; it is safe here because node enforces the
      // declared Content-Length and the guard plugin answers 413 when it is over the limit.
      // Chunked bodies (no length to check up front) go through serveNode's counting reader.
      done = Promise.resolve(yoga.requestListener(req, res));
    } else done = serveNode(req, res, fetch, limits.maxBodyBytes);
    done.catch((err) => {
      logger.error({ err, path: pathname }, 'request failed');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'internal error', code: 'INTERNAL' }));
      } else {
        res.destroy();
      }
    });
  }

  return {
    yoga,
    metrics,
    engine,
    fetch,
    handler,
    upgrade: (req, socket, head) => ws.upgrade(req, socket, head),
    async close() {
      detach();
      await ws.close();
      await yoga.dispose();
    },
  };
}
