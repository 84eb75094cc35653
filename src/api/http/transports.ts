/**
 * Clear answers for GraphQL transports medic does not speak (docs/API.md "Transports").
 * Supported: queries and mutations over HTTP (GET/POST), subscriptions over SSE
 * (`Accept: text/event-stream`: graphql-sse's distinct connections mode, yoga's native SSE) and
 * over WebSocket (graphql-ws protocol at the same path, src/server/ws.ts).
 * Not supported, each answered with a GraphQL error body that names the alternative:
 * - graphql-sse's single connection mode (PUT /graphql to reserve a stream, or the
 *   `X-GraphQL-Event-Stream-Token` header) → 405;
 * - a subscription over a non-streaming response type, such as Apollo Client's HTTP multipart
 *   subscriptions or plain JSON → 406 (yoga's own 406 has no body at all).
 */
import type { Plugin } from 'graphql-yoga';

/** yoga.ts's GRAPHQL_PATH (not imported: yoga.ts imports this module). */
const GRAPHQL_PATH = '/graphql';

const CONTENT_TYPE = 'application/graphql-response+json; charset=utf-8';
const STREAMING =
  'Subscribe over SSE (POST with "Accept: text/event-stream"; graphql-sse in its default distinct connections mode) ' +
  `or over WebSocket with the graphql-ws protocol at ws://HOST${GRAPHQL_PATH} (Apollo: GraphQLWsLink; urql: subscriptionExchange with graphql-ws).`;

export const SINGLE_CONNECTION_MESSAGE = `graphql-sse single connection mode is not supported. ${STREAMING}`;
export const NOT_STREAMING_MESSAGE = `A subscription needs a streaming response; HTTP multipart subscriptions and JSON are not supported. ${STREAMING}`;

function error(status: number, statusText: string, message: string, headers: Record<string, string> = {}) {
  return new Response(
    JSON.stringify({ errors: [{ message, extensions: { code: 'UNSUPPORTED_TRANSPORT' } }] }),
    {
      status,
      statusText,
      headers: { 'content-type': CONTENT_TYPE, ...headers },
    },
  );
}

export function transportsPlugin(): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== GRAPHQL_PATH) return;
      if (request.method === 'PUT' || request.headers.has('x-graphql-event-stream-token')) {
        endResponse(error(405, 'Method Not Allowed', SINGLE_CONNECTION_MESSAGE, { allow: 'GET, POST' }));
      }
    },
    onResponse({ request, response, setResponse }) {
      if (response.status !== 406 || new URL(request.url).pathname !== GRAPHQL_PATH) return;
      setResponse(error(406, 'Not Acceptable', NOT_STREAMING_MESSAGE));
    },
  };
}
