/**
 * POST /alertmanager against a REAL Alertmanager (Debian prometheus-alertmanager): alerts are
 * posted to Alertmanager's API v2 and Alertmanager delivers them to a real medic API (file
 * store, real engine, a recording executor) over loopback HTTP, with its own retries,
 * repeat_interval re-sends and, for the HA pair, a second replica.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/api/http/app.js';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import type { AlertRule } from '../../src/core/alerts.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import {
  alertmanagerAvailable,
  freePort,
  type RunningAlertmanager,
  startAlertmanager,
} from '../helpers/alertmanager.js';
import { RecordingExecutor } from './harness.js';

const RULES: { name: string; alerts: AlertRule[] }[] = [
  { name: 'api', alerts: [{ match: { alertname: 'ApiWedged', job: 'api' }, action: 'restart' }] },
  { name: 'worker', alerts: [{ match: { alertname: 'DatabaseDown' }, action: 'hold', holdTtlSec: 600 }] },
  { name: 'web', alerts: [] },
];

interface Medic {
  clock: SimulatedClock;
  app: App;
  engine: Engine;
  store: Store;
  executor: RecordingExecutor;
  server: Server;
  close(): Promise<void>;
}

const tokens = { alertmanager: generateToken(), viewer: generateToken() };

async function startMedic(db: string, port: number): Promise<Medic> {
  const clock = new SimulatedClock();
  const store = openStore(db, { clock });
  if (!store.listTokens().some((t) => t.name === 'am')) {
    store.createToken('am', 'alertmanager', hashToken(tokens.alertmanager), clock.now());
    store.createToken('dash', 'viewer', hashToken(tokens.viewer), clock.now());
  }
  const executor = new RecordingExecutor();
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  const engine = await createEngine({
    store,
    services: RULES.map((r) => ({ name: r.name, unit: `${r.name}.service`, policy: DEFAULT_POLICY })),
    executor,
    clock,
    logger,
  });
  const app = createApp({
    engine,
    store,
    logger,
    clock,
    publicUrl: 'http://medic.test',
    alertRules: () => RULES,
  });
  const server = createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    clock,
    app,
    engine,
    store,
    executor,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await engine.close();
      store.close();
    },
  };
}

/** medic_alerts_total{outcome} and medic_alertmanager_requests_total{status} from /metrics. */
async function counter(app: App, name: string, label: string, value: string): Promise<number> {
  const text = await app.metrics.text();
  const m = new RegExp(`^${name}\\{${label}="${value}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * After its restart the service is healthy again and an hour passes (medic's clock): a delivery
 * that acted now would restart it again through the gate, so only dedupe keeps re-sends inert.
 */
async function recovered(m: Medic): Promise<void> {
  await m.engine.idle();
  await m.engine.submit('api', { type: 'probe_ok' });
  m.clock.advance(3600_000);
  await m.engine.idle();
  expect(m.engine.state('api')?.tag).toBe('healthy');
}

describe.skipIf(!alertmanagerAvailable && process.env.MEDIC_REQUIRE_SYSTEMD !== '1')(
  'POST /alertmanager with a real Alertmanager',
  () => {
    let dir: string;
    const running: { stop(): Promise<void> }[] = [];
    let medic: Medic | null = null;
    let port: number;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'medic-am-test-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const r of running.splice(0)) await r.stop();
      await medic?.close();
      medic = null;
    });

    async function setup(name: string) {
      port = await freePort();
      medic = await startMedic(join(dir, `${name}.db`), port);
      return medic;
    }
    async function am(extra: { cluster?: boolean; peers?: string[]; token?: string } = {}) {
      const a = await startAlertmanager({
        webhookUrl: `http://127.0.0.1:${port}/alertmanager`,
        token: extra.token ?? tokens.alertmanager,
        cluster: extra.cluster,
        peers: extra.peers,
      });
      running.push(a);
      return a;
    }
    const wedged = (startsAt: number, endsAt?: number) => ({
      labels: { alertname: 'ApiWedged', job: 'api', severity: 'page' },
      annotations: { summary: 'api stopped answering' },
      startsAt: iso(startsAt),
      ...(endsAt ? { endsAt: iso(endsAt) } : {}),
      generatorURL: 'http://prometheus.test/graph?g0.expr=up%3D%3D0',
    });

    it('a firing restart alert restarts once through the gate despite repeat_interval re-sends; its event carries the alert', async () => {
      const m = await setup('once');
      const a = await am();
      await a.post([wedged(Date.now() - 1000)]);
      await until('the restart', () => m.executor.calls.length === 1);
      await recovered(m);
      const before = await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate');
      // Alertmanager keeps re-sending the firing alert every repeat_interval: none acts again.
      await until(
        'three re-sends',
        async () => (await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate')) >= 3,
      );
      await m.engine.idle();
      expect(m.executor.calls).toEqual([
        { service: 'api', effect: { type: 'restart', initiator: 'auto', probe: false } },
      ]);
      const [decided] = m.store.listEvents({ service: 'api', kinds: ['restart_decided'] }).events;
      expect(decided).toMatchObject({
        decision: 'restart',
        actor: 'alertmanager',
        input: { type: 'restart_requested' },
      });
      expect(decided.data).toMatchObject({
        source: 'alertmanager',
        alert: {
          name: 'ApiWedged',
          status: 'firing',
          action: 'restart',
          labels: { alertname: 'ApiWedged', job: 'api', severity: 'page' },
          generatorURL: 'http://prometheus.test/graph?g0.expr=up%3D%3D0',
          receiver: 'medic',
        },
      });
      expect((decided.data as { alert: { fingerprint: string } }).alert.fingerprint).toMatch(/^[0-9a-f]+$/);
    });

    it('an HA pair (peered replicas) and a split pair (not peered, both deliver) act once per alert', async () => {
      const m = await setup('ha');
      const first = await am({ cluster: true });
      const second = await am({ cluster: true, peers: [first.clusterAddress!] });
      // Split brain: two replicas that cannot see each other both notify, for certain.
      const lone1 = await am();
      const lone2 = await am();
      const startsAt = Date.now() - 1000;
      // Prometheus sends every alert to every Alertmanager, with the same startsAt.
      for (const a of [first, second, lone1, lone2]) await a.post([wedged(startsAt)]);
      await until('the restart', () => m.executor.calls.length === 1);
      await recovered(m);
      await until(
        're-sends from every replica',
        async () => (await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate')) >= 8,
      );
      await m.engine.idle();
      expect(m.executor.calls).toHaveLength(1);
      expect(await counter(m.app, 'medic_alerts_total', 'outcome', 'acted')).toBe(1);
      expect(m.store.listEvents({ service: 'api', kinds: ['restart_decided'] }).events).toHaveLength(1);
    });

    it('a hold alert holds automatic restarts while it fires and releases the hold when it resolves', async () => {
      const m = await setup('hold');
      const a = await am();
      const startsAt = Date.now() - 1000;
      const alert = { labels: { alertname: 'DatabaseDown', cluster: 'main' }, startsAt: iso(startsAt) };
      await a.post([alert]);
      await until('the hold', () => m.engine.state('worker')?.tag === 'held');
      expect(m.engine.state('worker')).toMatchObject({ tag: 'held', actor: 'alertmanager' });
      // While held, a crash is refused (skip_held): the alert's hold is a real hold.
      const crash = await m.engine.submit('worker', { type: 'exited', code: 1 });
      expect(crash.decision.decision).toBe('skip_held');
      await a.post([{ ...alert, endsAt: iso(Date.now() - 10) }]);
      await until('the release', () => m.engine.state('worker')?.tag !== 'held');
      const [released] = m.store.listEvents({ service: 'worker', kinds: ['hold_released'] }).events;
      expect(released).toMatchObject({
        actor: 'alertmanager',
        input: { type: 'release', onlyIfActor: 'alertmanager' },
      });
      expect(released.data).toMatchObject({
        alert: { name: 'DatabaseDown', status: 'resolved', action: 'hold' },
      });
      expect(m.executor.calls).toEqual([]);
    });

    it('a hold alert that keeps firing keeps its hold past holdTtlSec: repeat_interval re-sends renew it', async () => {
      const m = await setup('renew');
      const a = await am();
      const alert = {
        labels: { alertname: 'DatabaseDown', cluster: 'main' },
        startsAt: iso(Date.now() - 1000),
      };
      await a.post([alert]);
      await until('the hold', () => m.engine.state('worker')?.tag === 'held');
      const first = m.engine.view('worker')!.hold!.until;
      // 400 of the hold's 600 s pass on medic's clock while Alertmanager keeps re-sending.
      m.clock.advance(400_000);
      await until(
        'a renewal',
        async () => (await counter(m.app, 'medic_alerts_total', 'outcome', 'renewed')) >= 1,
      );
      const renewed = m.engine.view('worker')!.hold!.until;
      expect(renewed).toBeGreaterThan(first);
      // More re-sends while most of the renewed hold remains: no more renewals, nothing recorded.
      const dups = await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate');
      await until(
        'three more re-sends',
        async () => (await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate')) >= dups + 3,
      );
      expect(await counter(m.app, 'medic_alerts_total', 'outcome', 'renewed')).toBe(1);
      expect(m.store.listEvents({ service: 'worker', kinds: ['hold_set'] }).events).toHaveLength(2);
      // Past the first TTL the service is still held: the alert still fires.
      m.clock.advance(300_000);
      expect(m.engine.state('worker')).toMatchObject({ tag: 'held', actor: 'alertmanager' });
      await a.post([{ ...alert, endsAt: iso(Date.now() - 10) }]);
      await until('the release', () => m.engine.state('worker')?.tag !== 'held');
    });

    it('dedupe is durable: after medic restarts on the same database, re-sends of an alert already acted on do nothing', async () => {
      let m = await setup('durable');
      const a = await am();
      await a.post([wedged(Date.now() - 1000)]);
      await until('the restart', () => m.executor.calls.length === 1);
      const db = join(dir, 'durable.db');
      await m.close();
      medic = null;
      m = await startMedic(db, port);
      medic = m;
      await m.engine.submit('api', { type: 'probe_ok' });
      m.clock.advance(3600_000);
      await until(
        're-sends after the restart',
        async () => (await counter(m.app, 'medic_alerts_total', 'outcome', 'duplicate')) >= 2,
      );
      await m.engine.idle();
      expect(m.executor.calls).toEqual([]);
      expect(m.store.listEvents({ service: 'api', kinds: ['restart_decided'] }).events).toHaveLength(1);
    });

    it('an Alertmanager with a wrong token is refused (401) and nothing acts', async () => {
      const m = await setup('refused');
      const a = await am({ token: 'medic_not-a-token' });
      await a.post([wedged(Date.now() - 1000)]);
      await until(
        'refused deliveries',
        async () => (await counter(m.app, 'medic_alertmanager_requests_total', 'status', '401')) >= 1,
      );
      expect(m.executor.calls).toEqual([]);
      expect(m.store.listEvents({ service: 'api' }).events).toEqual([]);
      // Audited once (access_denied), however often Alertmanager tried.
      const denied = m.store.listEvents({ kinds: ['access_denied'] }).events;
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatchObject({ actor: 'unauthenticated', data: { status: 401, count: 1 } });
    });
  },
);
