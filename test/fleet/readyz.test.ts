/**
 * Without PostgreSQL the hub's app says so: /readyz 503 with the reason, /healthz 200, and an
 * agent batch gets 503 HUB_UNAVAILABLE (the agent retries). Runs without a PostgreSQL server.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { ConfigError, loadEnv } from '../../src/config/env.js';
import { SHIP_PATH } from '../../src/fleet/protocol.js';
import { createHubApp } from '../../src/hub/app.js';
import { HubBus } from '../../src/hub/bus.js';
import { openHubDatabase } from '../../src/hub/db.js';
import { HubMetrics } from '../../src/hub/metrics.js';
import { createLogger } from '../../src/log.js';
import { listen } from '../../src/serve/http.js';

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('hub without PostgreSQL', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('answers /readyz 503, /healthz 200 and refuses batches with HUB_UNAVAILABLE', async () => {
    const url = `postgres://medic@127.0.0.1:${await closedPort()}/medic`;
    const database = openHubDatabase(url);
    closers.push(() => database.close());
    const metrics = new HubMetrics(database.db, systemClock, 30_000);
    const logger = createLogger('silent');
    const app = createHubApp({
      database,
      clock: systemClock,
      metrics,
      logger,
      bus: new HubBus(url, database.db, systemClock, logger),
      silenceMs: 30_000,
      commandTtlMs: 60_000,
      commandWaitMs: 0,
    });
    const http = await listen(app.handler, '127.0.0.1', 0);
    closers.push(() => http.close());
    const ready = await fetch(`${http.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reasons: ['PostgreSQL is unreachable'] });
    expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
    const ship = await fetch(http.url + SHIP_PATH, {
      method: 'POST',
      headers: { authorization: 'Bearer medic_x', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(ship.status).toBe(503);
    expect(((await ship.json()) as { error: { code: string } }).error.code).toBe('HUB_UNAVAILABLE');
    // GraphQL and /metrics cannot check the token without PostgreSQL: 503, not 401 or a stack trace.
    for (const path of ['/graphql', '/metrics']) {
      const res = await fetch(http.url + path, { headers: { authorization: 'Bearer medic_x' } });
      expect(res.status).toBe(503);
      expect(
        ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('HUB_UNAVAILABLE');
    }
  });

  it('needs MEDIC_HUB_URL and MEDIC_HUB_TOKEN together', () => {
    expect(() => loadEnv({ MEDIC_HUB_URL: 'http://127.0.0.1:4100' })).toThrow(ConfigError);
    expect(() => loadEnv({ MEDIC_HUB_TOKEN: 'medic_abcdefgh' })).toThrow(/MEDIC_HUB_URL: required/);
    expect(
      loadEnv({ MEDIC_HUB_URL: 'http://127.0.0.1:4100', MEDIC_HUB_TOKEN: 'medic_abcdefgh' }).MEDIC_NODE_NAME,
    ).toBeTruthy();
  });
});
