/**
 * The client snippets docs/API.md shows (examples/clients/*.ts) work against a real medic API:
 * graphql-ws and graphql-sse follow committed events; Apollo Client queries over HTTP,
 * normalises Service by its id and subscribes over graphql-ws.
 */
import { gql } from '@apollo/client/core';
import { afterEach, describe, expect, it } from 'vitest';
import { medicApolloClient } from '../../examples/clients/apollo.js';
import { followEventsOverSse } from '../../examples/clients/graphql-sse.js';
import { followEvents } from '../../examples/clients/graphql-ws.js';
import { type Harness, listen, startHarness } from './harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await h?.close();
});

async function start() {
  h = await startHarness();
  server = await listen(h.app);
  return server.url;
}

describe('the documented client snippets', () => {
  it.each([
    ['graphql-ws', followEvents],
    ['graphql-sse', followEventsOverSse],
  ])('%s follows committed events', async (_name, follow) => {
    const url = await start();
    const seen: { service: string; kind: string }[] = [];
    const stop = follow(url, h.tokens.viewer, (e) => seen.push(e));
    // Keep committing until the (asynchronously connecting) subscriber has seen one.
    await expect
      .poll(
        async () => {
          await h.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'x' });
          return seen.length;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThan(0);
    expect(seen[0]).toEqual({ service: 'api', kind: 'hold_set' });
    stop();
  });

  it('Apollo Client queries, caches Service by id and subscribes over graphql-ws', async () => {
    const url = await start();
    const client = medicApolloClient(url, h.tokens.viewer);
    const { data } = await client.query({ query: gql`{ services { id name state } }` });
    expect(data.services.map((s: { name: string }) => s.name)).toEqual(['api', 'worker']);
    const id = client.cache.identify(data.services[0]);
    expect(id).toMatch(/^Service:.+\/api$/);
    const events: string[] = [];
    const sub = client
      .subscribe({ query: gql`subscription { recoveryEvents(service: "worker") { kind service } }` })
      .subscribe({ next: ({ data: d }) => events.push(d.recoveryEvents.kind) });
    await expect
      .poll(
        async () => {
          await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'x' });
          return events.length;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThan(0);
    expect(events[0]).toBe('hold_set');
    sub.unsubscribe();
    client.stop();
  });
});
