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
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../log.js';
import type { ApiContext } from '../schema/context.js';
import type { ApiStore, Principal } from '../schema/ports.js';
import { authenticate } from './auth.js';
import {
  authorizationParam,
  openOperation,
  operationArgs,
  rootedHooks,
  type WsExtra,
  wsEndpoint,
} from './ws-ops.js';
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

type Extra = WsExtra & { principal: Principal };

export { abortingIterator, authorizationParam } from './ws-ops.js';

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
        const abort = openOperation(ctx.extra);
        const env = deps.yoga.getEnveloped({
          principal: ctx.extra.principal,
          // POST: yoga refuses mutations on GET requests, and a socket message is no GET.
          request: new Request(`http://medic.internal${GRAPHQL_PATH}`, {
            method: 'POST',
            signal: abort.signal,
          }),
          params: payload,
        });
        return operationArgs(env, payload, abort, (context) => {
          const c = context as ApiContext;
          // The HTTP path's 429 for a caller that kept being refused (core/throttle.ts) holds here too.
          const wait = c.denials.retryAfterSec(c.principal.name, c.now());
          if (wait <= 0) return null;
          // yoga's factory: the GraphQLError class graphql-ws checks against (one graphql copy).
          return [
            createGraphQLError(`too many refused requests; retry after ${wait}s`, {
              extensions: { code: 'RATE_LIMITED', retryAfterSec: wait },
            }),
          ];
        });
      },
      ...rootedHooks(),
    },
    wss,
  );
  return wsEndpoint(wss, server, GRAPHQL_PATH);
}
