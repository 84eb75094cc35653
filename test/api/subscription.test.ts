import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, listen, startHarness } from './harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await h?.close();
});

/** Reads `data:` payloads of `event: next` frames from an SSE body. */
async function* nextPayloads(body: ReadableStream<Uint8Array>): AsyncGenerator<any> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n');
      if (event === 'next' && data) yield JSON.parse(data);
      end = buffer.indexOf('\n\n');
    }
  }
}

const SUBSCRIPTION = `subscription($service: String, $kinds: [EventKind!]) {
  recoveryEvents(service: $service, kinds: $kinds) { id kind decision service actor stateFrom stateTo at counters { restartsInWindow } }
}`;

function subscribe(
  fetchFn: (r: Request) => Promise<Response>,
  url: string,
  token: string,
  variables: object,
  signal: AbortSignal,
) {
  return fetchFn(
    new Request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: SUBSCRIPTION, variables }),
      signal,
    }),
  );
}

describe('recoveryEvents subscription', () => {
  it('streams an event the engine commits from the watchdog path, filtered by service and kind', async () => {
    h = await startHarness();
    const abort = new AbortController();
    const res = await subscribe(
      h.app.fetch,
      'http://medic.test/graphql',
      h.tokens.viewer,
      { service: 'api', kinds: ['restart_decided'] },
      abort.signal,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = nextPayloads(res.body!);
    const first = events.next();
    // Noise the filters must drop: another service, and non-matching kinds of this one.
    await h.engine.submit('worker', { type: 'probe_failed' }, { source: 'probe' });
    for (let i = 0; i < 3; i++) await h.engine.submit('api', { type: 'probe_failed' }, { source: 'probe' });
    const { value } = await first;
    expect(value.data.recoveryEvents).toMatchObject({
      kind: 'restart_decided',
      decision: 'restart',
      service: 'api',
      stateFrom: 'healthy',
      stateTo: 'restarting',
      at: '2026-01-01T00:00:00.000Z',
      counters: { restartsInWindow: 1 },
    });
    abort.abort();
  });

  it('streams over a real socket and unsubscribes from the engine when the client goes away', async () => {
    h = await startHarness();
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
    server = await listen(h.app);
    const baseline = listeners;
    const abort = new AbortController();
    const res = await subscribe(fetch, `${server.url}/graphql`, h.tokens.viewer, {}, abort.signal);
    const events = nextPayloads(res.body!);
    const first = events.next();
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'x' });
    expect((await first).value.data.recoveryEvents).toMatchObject({
      kind: 'hold_set',
      actor: 'ops',
      service: 'worker',
    });
    expect(listeners).toBe(baseline + 1);
    abort.abort();
    await expect.poll(() => listeners, { timeout: 20_000 }).toBe(baseline);
  });

  it('needs a token', async () => {
    h = await startHarness();
    const res = await h.app.fetch(
      new Request('http://medic.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: SUBSCRIPTION }),
      }),
    );
    expect(res.status).toBe(401);
  });
});
