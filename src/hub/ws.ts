/**
 * GraphQL over WebSocket at the hub (`graphql-transport-ws`, the graphql-ws protocol), on the
 * same path as HTTP (`ws://HUB/graphql`), as on an agent (src/api/http/ws.ts): `medic events
 * --follow`, Apollo, urql and Grafana plugins subscribe the same way to either.
 *
 * - Auth: the bearer token in `connectionParams` (`authorization`, `Authorization` or `token`),
 *   a hub token of any role but `agent` (auth.ts); otherwise the socket closes with 4403.
 * - Each operation runs through the hub's yoga pipeline (same schema, context, masked errors);
 *   a message is limited to `maxPayload` bytes.
 * - A subscription ends when the client completes it or the socket closes: its context signal is
 *   aborted first, so its bus listener goes at once.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { abortingIterator, authorizationParam } from '../api/http/ws.js';
import type { Logger } from '../log.js';
import type { HubAuthenticator } from './auth.js';
import type { HubPrincipal } from './schema/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the hub's yoga, whatever its context types.
type AnyYoga = YogaServerInstance<any, any>;
type Enveloped = ReturnType<AnyYoga['getEnveloped']>;

interface Root {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
  abort: AbortController;
}
type Extra = { principal: HubPrincipal; aborts: Set<AbortController> };

export interface HubWs {
  /** For `server.on('upgrade', …)`: takes /graphql upgrades, answers 404 for other paths. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function createHubWs(deps: {
  yoga: AnyYoga;
  auth: HubAuthenticator;
  logger: Logger;
  maxPayload: number;
}): HubWs {
  const log = deps.logger.child({ component: 'hub-graphql-ws' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayload });
  const server = useServer<Record<string, unknown>, Extra>(
    {
      async onConnect(ctx) {
        const who = await deps.auth.operator(authorizationParam(ctx.connectionParams));
        if (!who.ok) {
          if (who.status === 503) log.warn('graphql-ws: token lookup failed (PostgreSQL unreachable)');
          return false; // graphql-ws closes with 4403 Forbidden
        }
        ctx.extra.principal = who.principal;
        ctx.extra.aborts = new Set();
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const abort = new AbortController();
        ctx.extra.aborts ??= new Set();
        const open = ctx.extra.aborts;
        open.add(abort);
        abort.signal.addEventListener('abort', () => open.delete(abort), { once: true });
        const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({
          principal: ctx.extra.principal,
          // POST: yoga refuses mutations on GET requests, and a socket message is no GET.
          request: new Request('http://medic-hub.internal/graphql', { method: 'POST', signal: abort.signal }),
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
        const root: Root = { execute, subscribe, abort };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
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
      if (pathname !== '/graphql') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async close() {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
