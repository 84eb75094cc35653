/**
 * GraphQL over WebSocket (`graphql-transport-ws`, the graphql-ws protocol Apollo, urql and Relay
 * speak by default) on the same path as HTTP: `ws://HOST:PORT/graphql`, beside SSE.
 *
 * - Auth: the bearer token travels in `connectionParams` (`{ authorization: "Bearer …" }`, also
 *   `Authorization` or `token`); without a valid one the socket closes with 4403 Forbidden.
 * - The operation runs through the same yoga/envelop pipeline as HTTP (same schema, roles,
 *   depth/cost rules, masked errors); a message is limited to the HTTP body limit.
 * - A subscription ends when the client completes it or the socket closes: its context signal
 *   is aborted first, so the engine listener goes at once, not at the next event.
 * - Only the `graphql-transport-ws` subprotocol is spoken; the legacy `graphql-ws`
 *   (subscriptions-transport-ws) is refused by the library with close code 4406.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../log.js';
import type { ApiContext } from '../schema/context.js';
import type { ApiStore, Principal } from '../schema/ports.js';
import { authenticate } from './auth.js';
import { type ApiYoga, GRAPHQL_PATH } from './yoga.js';

export interface GraphqlWsDeps {
  yoga: ApiYoga;
  store: Pick<ApiStore, 'findTokenByHash'>;
  logger: Logger;
  /** Largest accepted message in bytes (the HTTP body limit). */
  maxPayload: number;
}

export interface GraphqlWs {
  /** For `server.on('upgrade', …)`: takes /graphql upgrades, answers 404 for other paths. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

type Enveloped = ReturnType<ApiYoga['getEnveloped']>;
interface Root {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
  abort: AbortController;
}
type Extra = {
  principal: Principal;
  /** The socket's open operations (aborted when it closes). */
  aborts: Set<AbortController>;
};

/** The Authorization value from connectionParams (`authorization`, `Authorization` or a bare `token`). */
export function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const header = params.authorization ?? params.Authorization;
  if (typeof header === 'string') return header;
  return typeof params.token === 'string' ? `Bearer ${params.token}` : null;
}

/** Wraps a subscription's iterator so `return()` (client complete, socket close) aborts first. */
export function abortingIterator<T>(inner: AsyncIterator<T>, abort: AbortController): AsyncGenerator<T> {
  const wrapper = {
    next: () => inner.next(),
    return: async (value?: unknown) => {
      abort.abort();
      return (await inner.return?.(value)) ?? { done: true, value: undefined };
    },
    throw: async (err?: unknown) => {
      abort.abort();
      if (inner.throw) return inner.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]: () => wrapper,
  } as AsyncGenerator<T>;
  return wrapper;
}

const rejectUpgrade = (socket: Duplex, status: number, text: string) => {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

export function createGraphqlWs(deps: GraphqlWsDeps): GraphqlWs {
  const log = deps.logger.child({ component: 'graphql-ws' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayload });
  const server = useServer<Record<string, unknown>, Extra>(
    {
      onConnect(ctx) {
        let result: ReturnType<typeof authenticate>;
        try {
          result = authenticate(authorizationParam(ctx.connectionParams), deps.store);
        } catch (err) {
          log.error({ err }, 'token lookup failed');
          return false;
        }
        if (!result.ok) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = result.principal;
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const abort = new AbortController();
        if (!ctx.extra.aborts) ctx.extra.aborts = new Set();
        const open = ctx.extra.aborts;
        open.add(abort);
        abort.signal.addEventListener('abort', () => open.delete(abort), { once: true });
        const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({
          principal: ctx.extra.principal,
          // POST: yoga refuses mutations on GET requests, and a socket message is no GET.
          request: new Request(`http://medic.internal${GRAPHQL_PATH}`, {
            method: 'POST',
            signal: abort.signal,
          }),
          params: payload,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (err) {
          abort.abort();
          return [err as GraphQLError];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          abort.abort();
          return errors;
        }
        const contextValue = (await contextFactory()) as ApiContext;
        // The HTTP path's 429 for a caller that kept being refused (core/throttle.ts) holds here too.
        const wait = contextValue.denials.retryAfterSec(contextValue.principal.name, contextValue.now());
        if (wait > 0) {
          abort.abort();
          return [
            // yoga's factory: the GraphQLError class graphql-ws checks against (one graphql copy).
            createGraphQLError(`too many refused requests; retry after ${wait}s`, {
              extensions: { code: 'RATE_LIMITED', retryAfterSec: wait },
            }),
          ];
        }
        const root: Root = { execute, subscribe, abort };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: root,
        };
        return args;
      },
      execute: async (args) => {
        const root = args.rootValue as Root;
        try {
          return await root.execute(args);
        } finally {
          root.abort.abort();
        }
      },
      subscribe: async (args) => {
        const root = args.rootValue as Root;
        const result = await root.subscribe(args);
        if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
          return abortingIterator((result as AsyncIterable<unknown>)[Symbol.asyncIterator](), root.abort);
        }
        root.abort.abort();
        return result;
      },
      onClose(ctx) {
        for (const abort of ctx.extra.aborts ?? []) abort.abort();
      },
    },
    wss,
  );
  return {
    upgrade(req, socket, head) {
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname !== GRAPHQL_PATH) return rejectUpgrade(socket, 404, 'Not Found');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async close() {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
