// GraphQL over WebSocket with graphql-ws (the protocol Apollo, urql and Relay use by default).
// In a browser drop `webSocketImpl` (the page's WebSocket is used). docs/API.md "Transports".
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export function medicWsClient(baseUrl: string, token: string) {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`, // e.g. ws://127.0.0.1:4000/graphql
    connectionParams: { authorization: `Bearer ${token}` }, // closes with 4403 without a valid one
    webSocketImpl: WebSocket,
  });
}

/** Calls `onEvent` for every audit event medic commits, until the returned function is called. */
export function followEvents(
  baseUrl: string,
  token: string,
  onEvent: (e: { service: string; kind: string }) => void,
) {
  const client = medicWsClient(baseUrl, token);
  const stop = client.subscribe<{ recoveryEvents: { service: string; kind: string } }>(
    { query: 'subscription { recoveryEvents { service kind } }' },
    { next: ({ data }) => data && onEvent(data.recoveryEvents), error: console.error, complete: () => {} },
  );
  return () => {
    stop();
    void client.dispose();
  };
}
