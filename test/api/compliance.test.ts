/**
 * GraphQL-over-HTTP compliance: graphql-http's server audits against medic's real endpoint on a
 * socket, with a valid bearer token added to every request (without one, everything is 401).
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Harness, listen, startHarness } from './harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  await server.close();
  await h.close();
});

const withToken = (input: RequestInfo | URL, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${h.tokens.viewer}`);
  return fetch(input, { ...init, headers });
};

describe('GraphQL over HTTP (graphql-http serverAudits)', () => {
  for (const audit of serverAudits({ url: () => `${server.url}/graphql`, fetchFn: withToken })) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      if (result.status !== 'ok') {
        throw new Error(
          `${result.status}: ${result.reason}${'response' in result ? ` (HTTP ${result.response.status})` : ''}`,
        );
      }
    });
  }
});
