/**
 * Longer than ~200 lines on purpose: the endpoint's guards (auth, refusals, limits) and the
 * yoga assembly that orders them are one request path.
 *
 * The GraphQL endpoint: graphql-yoga over the Pothos schema, with bearer auth, body-size and
 * batching bounds, depth/cost limits and masked internal errors.
 *
 * Auth: the GraphiQL page itself loads without a token (a browser GET asking for HTML); every
 * GraphQL request needs `Authorization: Bearer <token>` (401 otherwise), so introspection needs
 * a token too. In-process callers (the Slack bot through `yoga.fetch(url, init, serverContext)`)
 * pass `{ principal }` in the server context, which HTTP clients cannot set.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { createGraphQLError, createYoga, maskError, type Plugin, shouldRenderGraphiQL } from 'graphql-yoga';
import type { Clock } from '../../core/clock.js';
import { RefusalThrottle } from '../../core/throttle.js';
import type { Engine } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ApiContext } from '../schema/context.js';
import { schema } from '../schema/index.js';
import type { ApiStore, BudgetHeardPort, ContractStatus, Principal } from '../schema/ports.js';
import { GRAPHIQL_CSP, type GraphiqlOptions, renderGraphiqlPage } from '../ui/graphiql.js';
import { pageHeaders } from '../ui/page.js';
import { actingPrincipal, authenticate } from './auth.js';
import { readCachePlugin } from './cache.js';
import { type QueryLimits, queryLimitsRule } from './limits.js';
import { tooLarge } from './node.js';
import { transportsPlugin } from './transports.js';

export const GRAPHQL_PATH = '/graphql';
/** Touch a token's lastUsedAt at most this often (a write per request would cost throughput). */
const TOUCH_EVERY_MS = 60_000;

export interface ServerContext {
  principal?: Principal;
}

export interface YogaDeps {
  engine: Engine;
  store: ApiStore;
  contract: ContractStatus | null;
  logger: Logger;
  publicUrl: string;
  /** This agent's node name (MEDIC_NODE_NAME); default the hostname. */
  node?: string;
  clock: Pick<Clock, 'now'>;
  limits: QueryLimits & { maxBodyBytes: number; maxBatch: number };
  /** Result cache for services/service (src/server/cache.ts); default true. */
  readCache?: boolean;
  /** Queries through graphql-jit (default true); false keeps the reference executor. */
  compiledQueries?: boolean;
  /** Refused-by-role throttle (default: core/throttle.ts defaults). */
  denials?: RefusalThrottle;
  /** The fleet budget's last answers from the hub (issue 16), for `budgetGroups`. */
  budget?: BudgetHeardPort;
}

/** Media type of GraphQL-over-HTTP responses; refusals use it too so clients show the message. */
export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * A refusal as a GraphQL response with a reason phrase (`401 Unauthorized`): several clients
 * show neither an `application/json` body nor an empty status text.
 */
export function refusal(status: 401 | 403, code: string, message: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    statusText: status === 401 ? 'Unauthorized' : 'Forbidden',
    headers: {
      'content-type': GRAPHQL_RESPONSE_TYPE,
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="medic"' } : {}),
    },
  });
}

function unauthorized(reason: string): Response {
  return refusal(401, 'UNAUTHENTICATED', `unauthorized: ${reason}`);
}

function unavailable(): Response {
  return Response.json(
    { errors: [{ message: 'token store unavailable', extensions: { code: 'UNAVAILABLE' } }] },
    { status: 503 },
  );
}

/** 429 for a principal that kept being refused (core/throttle.ts; threshold in docs/API.md). */
function tooManyRefusals(retryAfterSec: number): Response {
  return Response.json(
    {
      errors: [
        {
          message: `too many refused requests; retry after ${retryAfterSec}s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSec },
        },
      ],
    },
    { status: 429, headers: { 'retry-after': String(retryAfterSec) } },
  );
}

function guardPlugin(
  deps: YogaDeps,
  denials: RefusalThrottle,
): Plugin<Record<string, unknown>, ServerContext> {
  const touched = new Map<string, number>();
  const touch = (name: string) => {
    const now = deps.clock.now();
    if (now - (touched.get(name) ?? Number.NEGATIVE_INFINITY) < TOUCH_EVERY_MS) return;
    touched.set(name, now);
    try {
      deps.store.touchToken(name, now);
    } catch (err) {
      deps.logger.warn({ err, token: name }, 'could not record token use');
    }
  };
  return {
    onRequest({ request, url, serverContext, endResponse }) {
      if (url.pathname !== GRAPHQL_PATH) return;
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > deps.limits.maxBodyBytes) return endResponse(tooLarge(deps.limits.maxBodyBytes));
      if (request.method === 'GET' && shouldRenderGraphiQL(request)) return;
      const blockedFor = (name: string) => denials.retryAfterSec(name, deps.clock.now());
      if (serverContext.principal) {
        const wait = blockedFor(serverContext.principal.name);
        return wait > 0 ? endResponse(tooManyRefusals(wait)) : undefined;
      }
      let result: ReturnType<typeof authenticate>;
      try {
        result = authenticate(request.headers.get('authorization'), deps.store, touch);
      } catch (err) {
        deps.logger.error({ err }, 'token lookup failed');
        return endResponse(unavailable());
      }
      if (!result.ok) return endResponse(unauthorized(result.reason));
      const principal = actingPrincipal(result.principal, request.headers);
      const wait = blockedFor(principal.name);
      if (wait > 0) return endResponse(tooManyRefusals(wait));
      serverContext.principal = principal;
    },
    onResponse({ response }) {
      // The GraphiQL page (HTML) gets the same security headers as the status page.
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      for (const [key, value] of Object.entries(pageHeaders(GRAPHIQL_CSP))) response.headers.set(key, value);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(queryLimitsRule(deps.limits));
    },
  };
}

/**
 * Queries run compiled (graphql-jit: one generated function per document, cached by document):
 * the uncached `services` query of 200 services is ~6,000 fields, where the reference executor's
 * per-field work dominated (bench/graphql.bench.ts). Mutations and subscriptions keep the
 * reference executor (serial side effects, SSE streams). A document graphql-jit cannot compile is
 * answered with the compiler's errors and logged.
 */
function compiledQueriesPlugin(log: Logger): Plugin {
  return useGraphQlJit(
    {},
    {
      enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query',
      onError: (result) => log.warn({ errors: result.errors }, 'query could not be compiled'),
    },
  ) as Plugin;
}

export function createApiYoga(deps: YogaDeps) {
  const log = deps.logger.child({ component: 'graphql' });
  const cache = (deps.readCache ?? true) ? readCachePlugin(deps.engine, () => deps.clock.now()) : null;
  const denials = deps.denials ?? new RefusalThrottle();
  return createYoga<ServerContext, ApiContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: { title: 'medic', headers: '{\n  "Authorization": "Bearer <token>"\n}' },
    // Served from medic's own /static/graphiql/ (no CDN, no inline script): src/ui/graphiql.ts.
    renderGraphiQL: (options) => renderGraphiqlPage(options as GraphiqlOptions),
    batching: { limit: deps.limits.maxBatch },
    logging: {
      debug: (...args) => log.debug({ args }, 'yoga'),
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (...args) => log.error({ args }, 'yoga'),
    },
    maskedErrors: {
      maskError(error: unknown, message: string, isDev?: boolean): Error {
        const masked = maskError(error, message, isDev);
        if (masked === error) return masked;
        const original = (error as { originalError?: unknown }).originalError ?? error;
        log.error({ err: original }, 'internal error while executing GraphQL');
        const located = error as { path?: readonly (string | number)[] };
        return createGraphQLError(message, { path: located.path, extensions: { code: 'INTERNAL' } });
      },
    },
    plugins: [
      guardPlugin(deps, denials),
      transportsPlugin(),
      ...(cache ? [cache] : []),
      ...((deps.compiledQueries ?? true) ? [compiledQueriesPlugin(log)] : []),
    ],
    context: ({ principal, request }): ApiContext => {
      if (!principal)
        throw createGraphQLError('unauthorized', {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      return {
        principal,
        engine: deps.engine,
        store: deps.store,
        contract: deps.contract,
        publicUrl: deps.publicUrl,
        logger: log,
        signal: request.signal,
        denials,
        now: () => deps.clock.now(),
        ...(deps.node !== undefined ? { node: deps.node } : {}),
        ...(deps.budget ? { budget: deps.budget } : {}),
      };
    },
  });
}

export type ApiYoga = ReturnType<typeof createApiYoga>;
