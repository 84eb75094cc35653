// GraphQL over SSE with graphql-sse in its default "distinct connections" mode (one HTTP
// request per subscription; the single connection mode is not supported). docs/API.md.
import { createClient } from 'graphql-sse';

export function followEventsOverSse(
  baseUrl: string,
  token: string,
  onEvent: (e: { service: string; kind: string }) => void,
) {
  const client = createClient({
    url: `${baseUrl}/graphql`,
    headers: { authorization: `Bearer ${token}` },
  });
  const stop = client.subscribe<{ recoveryEvents: { service: string; kind: string } }>(
    { query: 'subscription { recoveryEvents { service kind } }' },
    { next: ({ data }) => data && onEvent(data.recoveryEvents), error: console.error, complete: () => {} },
  );
  return () => {
    stop();
    client.dispose();
  };
}
