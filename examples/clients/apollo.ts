// Apollo Client: queries and mutations over HTTP, subscriptions over graphql-ws (Apollo's HTTP
// multipart subscriptions are not supported: medic answers 406 with a GraphQL error saying so).
// `Service.id` is stable and globally unique, so the normalised cache needs no typePolicies.
import { ApolloClient, HttpLink, InMemoryCache, split } from '@apollo/client/core';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export function medicApolloClient(baseUrl: string, token: string) {
  const http = new HttpLink({ uri: `${baseUrl}/graphql`, headers: { authorization: `Bearer ${token}` } });
  const ws = new GraphQLWsLink(
    createClient({
      url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${token}` },
      webSocketImpl: WebSocket, // not needed in a browser
    }),
  );
  const isSubscription = ({ query }: { query: Parameters<typeof getMainDefinition>[0] }) => {
    const def = getMainDefinition(query);
    return def.kind === 'OperationDefinition' && def.operation === 'subscription';
  };
  return new ApolloClient({ link: split(isSubscription, ws, http), cache: new InMemoryCache() });
}
