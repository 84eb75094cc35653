/**
 * POST /alertmanager, request by request (app.fetch and a loopback listener): authentication,
 * limits and validation, the mapping through decide(), hold bookkeeping across alerts, and
 * what happens when an input cannot be submitted. The real-Alertmanager test is
 * alertmanager-real.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import type { AlertRule } from '../../src/core/alerts.js';
import { type Harness, listen, startHarness } from './harness.js';

const RULES: { name: string; alerts: AlertRule[] }[] = [
  {
    name: 'api',
    alerts: [
      { match: { alertname: 'ApiLatencyHigh' }, action: 'observe' },
      { match: { alertname: 'ApiWedged' }, action: 'restart' },
    ],
  },
  {
    name: 'worker',
    alerts: [
      { match: { alertname: 'DatabaseDown' }, action: 'hold' },
      { match: { alertname: 'QueueDown' }, action: 'hold' },
    ],
  },
];

let h: Harness;
let token: string;
afterEach(() => h?.close());

async function start() {
  h = await startHarness({ deps: { alertRules: () => RULES } });
  token = generateToken();
  h.store.createToken('am', 'alertmanager', hashToken(token), h.clock.now());
}

let fp = 0;
function alert(name: string, status: 'firing' | 'resolved', fingerprint?: string) {
  return {
    status,
    labels: { alertname: name },
    annotations: {},
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: status === 'resolved' ? '2026-01-01T00:05:00.000Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.test/graph',
    fingerprint: fingerprint ?? (++fp).toString(16).padStart(16, '0'),
  };
}

function payload(alerts: unknown[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="x"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'medic',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    alerts,
  };
}

function post(body: unknown, auth: string | null = token, method = 'POST') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${auth}`;
  return h.app.fetch(
    new Request('http://medic.test/alertmanager', {
      method,
      headers,
      ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    }),
  );
}

describe('POST /alertmanager: refused requests', () => {
  it('401 without or with an unknown token, 403 for another role, 405 for GET; nothing acts', async () => {
    await start();
    const ok = payload([alert('ApiWedged', 'firing')]);
    expect((await post(ok, null)).status).toBe(401);
    expect((await post(ok, 'medic_nope')).status).toBe(401);
    const viewer = await post(ok, h.tokens.viewer);
    expect(viewer.status).toBe(403);
    expect((await viewer.json()).error).toMatch(/needs role alertmanager/);
    expect((await post(ok, h.tokens.operator)).status).toBe(403);
    expect((await post(ok, token, 'GET')).status).toBe(405);
    // Only the refusals are recorded (next test), nothing about a service.
    expect(h.store.listEvents({}).events.every((e) => e.kind === 'access_denied' && e.service === null)).toBe(
      true,
    );
    expect(h.executor.calls).toEqual([]);
  });

  it('refusals are audited as access_denied: the first of each caller, then once a minute with the count', async () => {
    await start();
    const ok = payload([alert('ApiWedged', 'firing')]);
    const denied = () => h.store.listEvents({ kinds: ['access_denied'], order: 'asc' }).events;
    for (let i = 0; i < 5; i++) expect((await post(ok, i % 2 ? 'medic_nope' : null)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await post(ok, h.tokens.viewer)).status).toBe(403);
    expect(denied().map((e) => [e.actor, (e.data as { status: number; count: number }).count])).toEqual([
      ['unauthenticated', 1],
      ['viewer-token', 1],
    ]);
    expect(denied()[1]!.data).toMatchObject({
      operation: 'POST /alertmanager',
      status: 403,
      required: 'alertmanager',
      role: 'viewer',
    });
    // A minute later the next refusal is written, standing for itself and the 4 counted since.
    h.clock.advance(61_000);
    expect((await post(ok, null)).status).toBe(401);
    const last = denied().at(-1)!;
    expect(last.actor).toBe('unauthenticated');
    expect(last.data).toMatchObject({ status: 401, count: 5 });
    expect(h.executor.calls).toEqual([]);
  });

  it('400 naming every problem for a body that is not the version-4 payload', async () => {
    await start();
    expect((await post('{not json')).status).toBe(400);
    const res = await post({
      ...payload([{ ...alert('X', 'firing'), fingerprint: 'zz', status: 'odd' }]),
      version: '3',
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^version: /),
        expect.stringMatching(/^alerts\.0\.status: /),
        expect.stringMatching(/^alerts\.0\.fingerprint: /),
      ]),
    );
    expect(h.store.listEvents({}).events).toEqual([]);
  });

  it('413 for a body over the API limit, also without Content-Length', async () => {
    h = await startHarness({ deps: { alertRules: () => RULES, limits: { maxBodyBytes: 2000 } } });
    token = generateToken();
    h.store.createToken('am', 'alertmanager', hashToken(token), h.clock.now());
    const server = await listen(h.app);
    try {
      const big = JSON.stringify(payload(Array.from({ length: 40 }, () => alert('ApiWedged', 'firing'))));
      const res = await fetch(`${server.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: big,
      });
      expect(res.status).toBe(413);
      const chunked = await fetch(`${server.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(h.executor.calls).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('an admin token may post alerts too', async () => {
    await start();
    const res = await post(payload([alert('ApiWedged', 'firing')]), h.tokens.admin);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ acted: 1, duplicate: 0, unmatched: 0, failed: 0 });
  });
});

describe('POST /alertmanager: alerts through decide()', () => {
  it('observe counts toward failureThreshold like failed probes (3 alerts → a restart through the gate)', async () => {
    await start();
    for (let i = 0; i < 2; i++) await post(payload([alert('ApiLatencyHigh', 'firing')]));
    expect(h.engine.state('api')).toMatchObject({ tag: 'healthy', failures: 2 });
    expect(h.executor.calls).toEqual([]);
    await post(payload([alert('ApiLatencyHigh', 'firing')]));
    await h.engine.idle();
    expect(h.executor.calls).toEqual([
      { service: 'api', effect: { type: 'restart', initiator: 'auto', probe: false } },
    ]);
  });

  it('the same delivery twice (retry) acts once; unmatched alerts are counted, not recorded', async () => {
    await start();
    const a = alert('ApiWedged', 'firing');
    expect(await (await post(payload([a, alert('Unrelated', 'firing')]))).json()).toEqual({
      acted: 1,
      duplicate: 0,
      unmatched: 1,
      failed: 0,
    });
    expect(await (await post(payload([a]))).json()).toMatchObject({ acted: 0, duplicate: 1 });
    await h.engine.idle();
    expect(h.executor.calls).toHaveLength(1);
    expect(await h.app.metrics.text()).toMatch(/medic_alerts_total\{outcome="unmatched"\} 1/);
  });

  it('a re-send of a still-firing hold alert renews its hold once less than half the TTL remains', async () => {
    await start();
    const a = alert('DatabaseDown', 'firing', 'ae1');
    const body = async (r: Response) => (await r.json()) as Record<string, number>;
    expect(await body(await post(payload([a])))).toMatchObject({ acted: 1 });
    const until0 = h.engine.view('worker')!.hold!.until;
    // Re-sends (repeat_interval, the HA pair) while most of the hold remains: nothing happens.
    h.clock.advance(1000_000);
    for (let i = 0; i < 3; i++) expect(await body(await post(payload([a])))).toMatchObject({ duplicate: 1 });
    expect(h.engine.view('worker')!.hold!.until).toBe(until0);
    // Past half the TTL (default 3600 s): the next re-send extends it, the one after does not.
    h.clock.advance(900_000);
    expect(await body(await post(payload([a])))).toMatchObject({ renewed: 1, duplicate: 0 });
    const again = await body(await post(payload([a])));
    expect(again).toMatchObject({ duplicate: 1 });
    expect(again.renewed).toBeUndefined();
    const hold = h.engine.view('worker')!.hold!;
    expect(hold).toMatchObject({ actor: 'alertmanager' });
    expect(hold.until).toBe(h.clock.now() + 3600_000);
    const sets = h.store.listEvents({ service: 'worker', kinds: ['hold_set'], order: 'asc' }).events;
    expect(sets).toHaveLength(2);
    expect(sets[1]!.data).toMatchObject({ alert: { action: 'hold', renewed: true, fingerprint: 'ae1' } });
    // The hold outlives its first TTL while the alert fires; its resolve still ends it.
    h.clock.advance(2000_000);
    expect(h.engine.state('worker')?.tag).toBe('held');
    await post(payload([alert('DatabaseDown', 'resolved', 'ae1')]));
    expect(h.engine.state('worker')?.tag).toBe('healthy');
  });

  it('re-sends never renew an operator-replaced hold, nor act again for observe and restart', async () => {
    await start();
    const db = alert('DatabaseDown', 'firing', 'ab1');
    await post(payload([db]));
    await h.engine.submit('worker', { type: 'hold', ttlSec: 3600, actor: 'alice', reason: 'migration' });
    h.clock.advance(2000_000);
    await post(payload([db]));
    expect(h.engine.view('worker')!.hold).toMatchObject({ actor: 'alice' });
    const wedged = alert('ApiWedged', 'firing', 'ac1');
    await post(payload([wedged]));
    h.clock.advance(3600_000);
    await h.engine.idle();
    await post(payload([wedged]));
    await h.engine.idle();
    // One input from the alert; later restarts are medic's own (ticks), not the re-send's.
    expect(
      h.store.listEvents({ service: 'api' }).events.filter((e) => e.actor === 'alertmanager'),
    ).toHaveLength(1);
  });

  it("an alert's end never releases an operator's hold", async () => {
    await start();
    await post(payload([alert('DatabaseDown', 'firing', 'aa')]));
    await h.engine.submit('worker', { type: 'hold', ttlSec: 900, actor: 'alice', reason: 'migration' });
    await post(payload([alert('DatabaseDown', 'resolved', 'aa')]));
    expect(h.engine.state('worker')).toMatchObject({ tag: 'held', actor: 'alice' });
  });

  it('with two hold-alerts firing, the hold ends only when the last one resolves', async () => {
    await start();
    await post(payload([alert('DatabaseDown', 'firing', 'd1'), alert('QueueDown', 'firing', 'e1')]));
    expect(h.engine.state('worker')?.tag).toBe('held');
    await post(payload([alert('DatabaseDown', 'resolved', 'd1')]));
    expect(h.engine.state('worker')?.tag).toBe('held');
    await post(payload([alert('QueueDown', 'resolved', 'e1')]));
    expect(h.engine.state('worker')?.tag).toBe('healthy');
  });

  it('an input that cannot be submitted answers 503 and forgets the delivery, so the retry acts', async () => {
    await start();
    const a = alert('ApiWedged', 'firing');
    const submit = h.engine.submit.bind(h.engine);
    let fail = true;
    (h.engine as { submit: typeof submit }).submit = (...args) =>
      fail ? Promise.reject(new Error('engine is shutting down')) : submit(...args);
    const res = await post(payload([a]));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ failed: 1 });
    fail = false;
    expect((await post(payload([a]))).status).toBe(200);
    await h.engine.idle();
    expect(h.executor.calls).toHaveLength(1);
  });
});
