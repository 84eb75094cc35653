/**
 * The subscription transports with real third-party clients over a real socket: graphql-ws
 * (WebSocket) beside graphql-sse (SSE), both with the same roles and limits; and clear GraphQL
 * error bodies (with reason phrases) for what medic does not speak and for refusals.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NOT_STREAMING_MESSAGE, SINGLE_CONNECTION_MESSAGE } from '../../src/api/http/transports.js';
import { THROTTLE_DEFAULTS } from '../../src/core/throttle.js';
import { type Harness, listen, startHarness } from './harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>> | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose();
  await server?.close();
  server = undefined;
  await h?.close();
});

async function start() {
  h = await startHarness();
  server = await listen(h.app);
  return server.url;
}

function wsClient(url: string, token: string | null, onClosed?: (code: number) => void): Client {
  const client = createWsClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    on: { closed: (e) => onClosed?.((e as { code: number }).code) },
  });
  clients.push(client);
  return client;
}

/** Runs one operation to completion and returns its single result. */
function once(client: Client, query: string, variables: Record<string, unknown> = {}) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let result: Record<string, unknown> = {};
    client.subscribe(
      { query, variables },
      {
        next: (r) => {
          result = r as Record<string, unknown>;
        },
        error: reject,
        complete: () => resolve(result),
      },
    );
  });
}

const HOLD = `mutation($n: String!) { holdService(name: $n, ttlSec: 60, reason: "ws") {
  __typename ... on Service { id state } ... on NotAllowedError { code requiredRole } } }`;

describe('GraphQL over WebSocket (graphql-ws)', () => {
  it('streams committed events to a viewer and ends the subscription when the socket closes', async () => {
    const url = await start();
    let listeners = 0;
    const subscribeToEngine = h.engine.subscribe.bind(h.engine);
    h.engine.subscribe = (listener) => {
      listeners++;
      const off = subscribeToEngine(listener);
      return () => {
        listeners--;
        off();
      };
    };
    const baseline = listeners;
    const client = wsClient(url, h.tokens.viewer);
    const events = client.iterate<{ recoveryEvents: { kind: string; service: string; actor: string } }>({
      query: 'subscription { recoveryEvents(service: "worker") { kind service actor } }',
    });
    const first = events.next();
    await expect.poll(() => listeners, { timeout: 10_000 }).toBe(baseline + 1);
    await h.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'noise' });
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'x' });
    expect((await first).value?.data?.recoveryEvents).toEqual({
      kind: 'hold_set',
      service: 'worker',
      actor: 'ops',
    });
    await client.dispose();
    await expect.poll(() => listeners, { timeout: 10_000 }).toBe(baseline);
  });

  it('applies the same roles as HTTP: a viewer may not hold, an operator may', async () => {
    const url = await start();
    const viewer = await once(wsClient(url, h.tokens.viewer), HOLD, { n: 'api' });
    expect(viewer).toEqual({
      data: { holdService: { __typename: 'NotAllowedError', code: 'NOT_ALLOWED', requiredRole: 'operator' } },
    });
    const operator = await once(wsClient(url, h.tokens.operator), HOLD, { n: 'api' });
    expect(operator).toMatchObject({ data: { holdService: { __typename: 'Service', state: 'held' } } });
    expect((operator as { data: { holdService: { id: string } } }).data.holdService.id).toMatch(/\/api$/);
  });

  it('applies the same depth and cost limits as HTTP', async () => {
    const url = await start();
    const deep = `{ services { events { edges { node { id } } pageInfo { endCursor } } ${'churn { blockedByReason { reason } } '.repeat(1)} } }`;
    const ok = await once(wsClient(url, h.tokens.viewer), deep);
    expect(ok.errors).toBeUndefined();
    const costly =
      '{ events(first: 500) { edges { node { service events: id } } } a: events(first: 500) { edges { node { id kind at actor reason service } } } b: events(first: 500) { edges { node { id kind at actor reason service } } } c: events(first: 500) { edges { node { id kind at actor reason service } } } d: events(first: 500) { edges { node { id kind at actor reason service } } } e: events(first: 500) { edges { node { id kind at actor reason service } } } f: events(first: 500) { edges { node { id kind at actor reason service } } } g: events(first: 500) { edges { node { id kind at actor reason service } } } h: events(first: 500) { edges { node { id kind at actor reason service } } } }';
    const http = await h.gql('viewer', costly);
    expect(http.body.errors?.[0]?.message).toMatch(/cost/i);
    await expect(once(wsClient(url, h.tokens.viewer), costly)).rejects.toEqual([
      expect.objectContaining({ message: http.body.errors?.[0]?.message }),
    ]);
  });

  it('counts refusals over the socket and answers RATE_LIMITED past the same threshold as HTTP', async () => {
    const url = await start();
    const viewer = wsClient(url, h.tokens.viewer);
    for (let i = 0; i <= THROTTLE_DEFAULTS.maxPerWindow; i++) await once(viewer, HOLD, { n: 'api' });
    await expect(once(viewer, '{ services { name } }')).rejects.toEqual([
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED', retryAfterSec: 60 } }),
    ]);
    // The same principal over HTTP is blocked too: one throttle for both transports.
    expect((await h.gql('viewer', '{ services { name } }')).status).toBe(429);
    expect((await once(wsClient(url, h.tokens.operator), '{ services { name } }')).errors).toBeUndefined();
  });

  it('closes with 4403 Forbidden without a valid token in connectionParams', async () => {
    const url = await start();
    for (const token of [null, 'medic_unknown']) {
      let code = 0;
      const client = wsClient(url, token, (c) => {
        code = c;
      });
      await expect(once(client, '{ services { name } }')).rejects.toBeTruthy();
      expect(code).toBe(4403);
    }
  });
});

describe('GraphQL over SSE with graphql-sse (distinct connections mode)', () => {
  it('streams committed events with the bearer token in the headers', async () => {
    const url = await start();
    const client = createSseClient({
      url: `${url}/graphql`,
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
      retryAttempts: 0,
    });
    const events = client.iterate<{ recoveryEvents: { kind: string } }>({
      query: 'subscription { recoveryEvents { kind } }',
    });
    const first = events.next();
    await new Promise((r) => setTimeout(r, 200));
    await h.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'x' });
    expect((await first).value?.data?.recoveryEvents).toEqual({ kind: 'hold_set' });
    await events.return?.(undefined);
    client.dispose();
  });
});

describe('unsupported modes and refusals', () => {
  const subscription = JSON.stringify({ query: 'subscription { recoveryEvents { kind } }' });

  it("answers graphql-sse's single connection mode with 405 and a GraphQL error naming the alternatives", async () => {
    const url = await start();
    const res = await fetch(`${url}/graphql`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect((await res.json()).errors[0].message).toBe(SINGLE_CONNECTION_MESSAGE);
  });

  it('answers an HTTP multipart (Apollo) or JSON subscription with 406 and a GraphQL error', async () => {
    const url = await start();
    for (const accept of [
      'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
      'application/json',
    ]) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.tokens.viewer}`, 'content-type': 'application/json', accept },
        body: subscription,
      });
      expect(res.status).toBe(406);
      expect(res.statusText).toBe('Not Acceptable');
      expect((await res.json()).errors[0].message).toBe(NOT_STREAMING_MESSAGE);
    }
  });

  it('answers 401 as a GraphQL response with a reason phrase', async () => {
    const url = await start();
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    expect(res.status).toBe(401);
    expect(res.statusText).toBe('Unauthorized');
    expect(res.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="medic"');
    expect(await res.json()).toEqual({
      errors: [{ message: 'unauthorized: missing bearer token', extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });
});
