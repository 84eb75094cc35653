/**
 * Issue 17's figures (in-process, loopback HTTP, a SQLite file store; 2 shared cores: read the
 * ratios, the absolute numbers are noisy):
 *
 * 1. alert → decision: `POST /alertmanager` with one new firing alert (action observe) until the
 *    response, which is sent after the decision event is committed; baseline the same decision
 *    submitted to the engine directly, and an HTTP round trip to /healthz (the transport floor).
 * 2. dedupe cost: the same request again (a duplicate: claim refused, nothing submitted), and the
 *    store's claim alone (new key vs a key already claimed) against the Slack replay guard's claim.
 * 3. outbox delivery: an escalation trigger, from the circuit_opened commit to the fake PagerDuty
 *    receiving it; baseline a plain POST to the same receiver.
 * 4. the crash → decision path with escalation on vs off (engine.submit of a crash exit, commit
 *    included), same run, alternating.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createApp } from '../src/api/http/app.js';
import { generateToken, hashToken } from '../src/api/http/auth.js';
import { systemClock } from '../src/clock/clock.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../src/core/policy.js';
import { createEngine } from '../src/engine/engine.js';
import type { Engine, ExecResult } from '../src/engine/types.js';
import { createEscalation } from '../src/escalation/escalation.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/sqlite.js';
import { report } from './report.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
function policyOf(input: unknown): Policy {
  const r = parsePolicy(input);
  if (!r.ok) throw new Error(`bench policy invalid: ${JSON.stringify(r.problems)}`);
  return r.value;
}
const silent = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const executor = { execute: async (): Promise<ExecResult> => ({ ok: true }) };

function payload(i: number, status = 'firing') {
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="Bench${i}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'medic',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am.test',
    alerts: [
      {
        status,
        labels: { alertname: 'BenchAlert', medic_service: `svc${i % 50}`, n: String(i) },
        annotations: {},
        startsAt: new Date(1_800_000_000_000 + i).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prom.test/graph',
        fingerprint: i.toString(16).padStart(16, '0'),
      },
    ],
  });
}

async function alertToDecision(dir: string): Promise<void> {
  const store = openStore(join(dir, 'alerts.db'), { clock: systemClock });
  // A high threshold: every observe stays a counted failure (no restart noise in the figure).
  const policy = policyOf({ failureThreshold: 1_000_000 });
  const services = Array.from({ length: 50 }, (_, i) => ({
    name: `svc${i}`,
    unit: `svc${i}.service`,
    policy,
  }));
  const engine = await createEngine({ store, services, executor, clock: systemClock, logger: silent });
  const token = generateToken();
  store.createToken('am', 'alertmanager', hashToken(token), Date.now());
  const app = createApp({ engine, store, logger: silent, clock: systemClock, publicUrl: 'http://m.test' });
  const server = createServer(app.handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (body: string) =>
    fetch(`${url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    }).then((r) => r.text());
  const N = 400;
  for (let i = 0; i < 50; i++) await post(payload(1_000_000 + i)); // warm-up
  const fresh: number[] = [];
  const dup: number[] = [];
  const health: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    await post(payload(i));
    fresh.push(performance.now() - t);
    t = performance.now();
    await post(payload(i));
    dup.push(performance.now() - t);
    t = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.text());
    health.push(performance.now() - t);
    t = performance.now();
    await engine.submit(`svc${i % 50}`, { type: 'probe_failed' });
    direct.push(performance.now() - t);
  }
  const base = (name: string, xs: number[], p: number) => ({ name, value: pct(xs, p) });
  for (const p of [50, 99]) {
    report({
      bench: 'alerts',
      metric: `alert → decision committed, HTTP, p${p}`,
      value: pct(fresh, p),
      unit: 'ms',
      baseline: base('engine.submit (same decision)', direct, p),
    });
    report({
      bench: 'alerts',
      metric: `  the same vs /healthz round trip, p${p}`,
      value: pct(fresh, p),
      unit: 'ms',
      baseline: base('GET /healthz', health, p),
    });
    report({
      bench: 'alerts',
      metric: `duplicate delivery (deduped), HTTP, p${p}`,
      value: pct(dup, p),
      unit: 'ms',
      baseline: base('GET /healthz', health, p),
    });
  }
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await app.close();
  await engine.close();

  // The claim alone: a new key, a duplicate key, and the Slack replay guard's claim (same shape).
  const M = 5000;
  const t0 = performance.now();
  for (let i = 0; i < M; i++)
    store.claimAlert({
      key: `k${i}`,
      fingerprint: `f${i}`,
      status: 'firing',
      targets: [{ service: 'svc0', action: 'observe' }],
      at: Date.now(),
    });
  const newUs = ((performance.now() - t0) * 1000) / M;
  const t1 = performance.now();
  for (let i = 0; i < M; i++)
    store.claimAlert({
      key: `k${i}`,
      fingerprint: `f${i}`,
      status: 'firing',
      targets: [{ service: 'svc0', action: 'observe' }],
      at: Date.now(),
    });
  const dupUs = ((performance.now() - t1) * 1000) / M;
  const t2 = performance.now();
  for (let i = 0; i < M; i++) store.claimReplay([`r${i}`], Date.now() + 900_000, Date.now());
  const replayUs = ((performance.now() - t2) * 1000) / M;
  report({
    bench: 'alerts',
    metric: 'dedupe claim, new key (one fsync)',
    value: newUs,
    unit: 'µs',
    baseline: { name: 'Slack replay claim', value: replayUs },
  });
  report({
    bench: 'alerts',
    metric: 'dedupe claim, duplicate key',
    value: dupUs,
    unit: 'µs',
    baseline: { name: 'Slack replay claim', value: replayUs },
  });
  store.close();
}

async function outboxDelivery(dir: string): Promise<void> {
  const got: number[] = [];
  const pdServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(performance.now());
      res.writeHead(202).end('{}');
    });
  });
  await new Promise<void>((r) => pdServer.listen(0, '127.0.0.1', r));
  const pdUrl = `http://127.0.0.1:${(pdServer.address() as AddressInfo).port}/v2/enqueue`;
  const store = openStore(join(dir, 'outbox.db'), { clock: systemClock });
  const engine = await createEngine({
    store,
    services: [
      {
        name: 'api',
        unit: 'api.service',
        policy: { ...DEFAULT_POLICY, circuit: { ...DEFAULT_POLICY.circuit, hardStop: false } },
      },
    ],
    executor,
    clock: systemClock,
    logger: silent,
  });
  const esc = createEscalation({
    config: {
      node: 'bench',
      publicUrl: 'http://m.test',
      pagerduty: { url: pdUrl, routingKey: 'rk' },
      webhooks: [],
      on: ['circuit_opened'],
      approvalPendingSec: null,
      retry: { maxAttempts: 3, baseMs: 100, maxMs: 1000, timeoutMs: 5000 },
    },
    engine,
    store,
    clock: systemClock,
    logger: silent,
  });
  esc.start();
  const lat: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 120; i++) {
    const before = got.length;
    const t = performance.now();
    await engine.submit('api', { type: 'exited', code: 78 }); // committed circuit_opened
    while (got.length === before) await new Promise((r) => setImmediate(r));
    lat.push(got[before] - t);
    await engine.submit('api', { type: 'reset_circuit', actor: 'bench', reason: 'next' });
    while (got.length < before + 2) await new Promise((r) => setImmediate(r));
    const t2 = performance.now();
    await fetch(pdUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    }).then((r) => r.text());
    raw.push(got[got.length - 1] - t2);
  }
  for (const p of [50, 99]) {
    report({
      bench: 'alerts',
      metric: `outbox: decision commit → PagerDuty got it, p${p}`,
      value: pct(lat.slice(20), p),
      unit: 'ms',
      baseline: { name: 'plain POST', value: pct(raw.slice(20), p) },
    });
  }
  await esc.stop();
  await engine.close();
  store.close();
  pdServer.closeAllConnections();
  await new Promise<void>((r) => pdServer.close(() => r()));
}

async function crashPath(dir: string): Promise<void> {
  // A policy whose window never fills: every crash is a restart decision (the watchdog's path).
  const policy = policyOf({
    maxRestarts: 1000,
    windowSec: 100_000,
    cooldownSec: 0.001,
    startupGraceSec: 0.001,
    backoff: { initialSec: 0.001, factor: 1, maxSec: 0.001 },
    failureThreshold: 1,
  });
  const measure = async (withEscalation: boolean, n: number): Promise<number[]> => {
    const store = openStore(join(dir, `crash-${withEscalation}-${Math.random()}.db`), { clock: systemClock });
    const engine: Engine = await createEngine({
      store,
      services: [{ name: 'api', unit: 'api.service', policy }],
      executor,
      clock: systemClock,
      logger: silent,
    });
    const esc = withEscalation
      ? createEscalation({
          config: {
            node: 'b',
            publicUrl: 'http://m.test',
            pagerduty: { url: 'http://127.0.0.1:9/x', routingKey: 'rk' },
            webhooks: [],
            on: ['circuit_opened'],
            approvalPendingSec: null,
            retry: { maxAttempts: 1, baseMs: 100, maxMs: 100, timeoutMs: 100 },
          },
          engine,
          store,
          clock: systemClock,
          logger: silent,
        })
      : null;
    esc?.start();
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await engine.submit('api', { type: 'exited', code: 1 });
      xs.push(performance.now() - t);
      await engine.submit('api', { type: 'probe_ok' });
      await new Promise((r) => setImmediate(r));
    }
    await esc?.stop();
    await engine.close();
    store.close();
    return xs;
  };
  const on: number[] = [];
  const off: number[] = [];
  for (let round = 0; round < 4; round++) {
    off.push(...(await measure(false, 100)).slice(10));
    on.push(...(await measure(true, 100)).slice(10));
  }
  for (const p of [50, 99]) {
    report({
      bench: 'alerts',
      metric: `crash → decision committed, escalation on, p${p}`,
      value: pct(on, p),
      unit: 'ms',
      baseline: { name: 'escalation off', value: pct(off, p) },
    });
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-bench-alerts-'));
  try {
    await alertToDecision(dir);
    await outboxDelivery(dir);
    await crashPath(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
