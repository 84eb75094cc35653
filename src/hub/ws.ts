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
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import {
  authorizationParam,
  openOperation,
  operationArgs,
  rootedHooks,
  type WsExtra,
  wsEndpoint,
} from '../api/http/ws-ops.js';
import type { Logger } from '../log.js';
import type { HubAuthenticator } from './auth.js';
import type { HubPrincipal } from './schema/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the hub's yoga, whatever its context types.
type AnyYoga = YogaServerInstance<any, any>;

type Extra = WsExtra & { principal: HubPrincipal };

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
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const abort = openOperation(ctx.extra);
        const env = deps.yoga.getEnveloped({
          principal: ctx.extra.principal,
          // POST: yoga refuses mutations on GET requests, and a socket message is no GET.
          request: new Request('http://medic-hub.internal/graphql', { method: 'POST', signal: abort.signal }),
          params: payload,
        });
        return operationArgs(env, payload, abort);
      },
      ...rootedHooks(),
    },
    wss,
  );
  return wsEndpoint(wss, server, '/graphql');
}
