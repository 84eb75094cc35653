/**
 * The slot notification (issue 16, `POST /agent/v1/budget/wait`) over real HTTP on two real hub
 * replicas sharing one PostgreSQL: a denied agent holding a wait on one replica is told `free`
 * as soon as a lease ends on the *other* replica (LISTEN/NOTIFY), and then gets its lease from
 * the arbiter; only the waiters the free slots would go to are told, oldest first; a wait with
 * no slot ends at its bound; a dead agent's lease lapsing at its TTL wakes the waiter too; one
 * wait per node names every service of it that may ask; a hub that cannot be reached is `failed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetClient } from '../../src/agent/budget-client.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 60 };
const lease = (node: string, n = 1) => ({ id: `${node}/api/${n}`, service: 'api', operator: false });

describe.skipIf(skipPg)('the slot notification across two hub replicas', () => {
  const hubs: RunningHub[] = [];
  const clients = new Map<string, { one: BudgetClient; two: BudgetClient }>();
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const env = loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' });
    for (let i = 0; i < 2; i++) hubs.push(await startHub({ env, logger: createLogger('silent') }));
    for (const node of ['web-1', 'web-2', 'web-3']) {
      const token = await createAgentToken(hubs[0]!.database.db, node, node, 0);
      tokens.set(node, token);
      const at = (hub: RunningHub) => new BudgetClient({ hubUrl: hub.url, token, clock: systemClock });
      clients.set(node, { one: at(hubs[0]!), two: at(hubs[1]!) });
    }
  });
  afterAll(async () => {
    for (const h of hubs) await h.close();
  });

  const c = (node: string) => clients.get(node)!;

  it('tells the oldest waiter, on the other replica, as soon as a lease ends; the next waiter waits on', async () => {
    expect(await c('web-1').one.request('g1', LIMITS, lease('web-1'), 2000)).toMatchObject({
      type: 'budget_granted',
    });
    // web-2 waits first, web-3 after it; both hold a wait open at replica two.
    expect(await c('web-2').two.request('g1', LIMITS, lease('web-2'), 2000)).toMatchObject({
      type: 'budget_denied',
      position: 1,
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(await c('web-3').two.request('g1', LIMITS, lease('web-3'), 2000)).toMatchObject({
      type: 'budget_denied',
      position: 2,
    });
    const second = c('web-2').two.waitForSlots([{ group: 'g1', service: 'api' }], 10_000, 2000);
    const third = c('web-3').two.waitForSlots([{ group: 'g1', service: 'api' }], 1500, 2000);
    await new Promise((r) => setTimeout(r, 200)); // both parked (nothing is free yet)

    const t0 = performance.now();
    expect(await c('web-1').one.finish('web-1/api/1', 2000)).toBe(true); // at replica one
    expect(await second).toEqual([{ group: 'g1', service: 'api' }]);
    const toldMs = performance.now() - t0;
    // The arbiter still decides: the told waiter gets the lease; the next one is still denied.
    expect(await c('web-2').two.request('g1', LIMITS, lease('web-2', 2), 2000)).toMatchObject({
      type: 'budget_granted',
    });
    const t1 = performance.now();
    expect(await third).toEqual([]); // no slot for web-3 within its 1.5 s
    expect(performance.now() - t1).toBeLessThan(2000);
    console.log(`slot notification: told ${toldMs.toFixed(1)} ms after the finish at the other replica`);
    expect(toldMs).toBeLessThan(1000);
  });

  it('answers at once when the slot freed between the denial and the wait', async () => {
    // Lease ids are unique across groups: fresh ones here.
    expect(await c('web-1').one.request('g2', LIMITS, lease('web-1', 10), 2000)).toMatchObject({
      type: 'budget_granted',
    });
    expect(await c('web-2').one.request('g2', LIMITS, lease('web-2', 10), 2000)).toMatchObject({
      type: 'budget_denied',
    });
    expect(await c('web-1').two.finish('web-1/api/10', 2000)).toBe(true);
    const t0 = performance.now();
    expect(await c('web-2').one.waitForSlots([{ group: 'g2', service: 'api' }], 10_000, 2000)).toEqual([
      { group: 'g2', service: 'api' },
    ]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('is `failed` when no hub answers; a wait without an agent token is refused', async () => {
    const nowhere = new BudgetClient({ hubUrl: 'http://127.0.0.1:9', token: 'medic_x', clock: systemClock });
    expect(await nowhere.waitForSlots([{ group: 'g1', service: 'api' }], 1000, 500)).toBe('failed');
    const res = await fetch(`${hubs[0]!.url}/agent/v1/budget/wait`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'g1', service: 'api', waitMs: 999_999 }),
    });
    expect(res.status).toBe(401);
  });

  it("wakes the waiter when a dead agent's lease lapses at its TTL (nobody finishes it)", async () => {
    const short = { ...LIMITS, leaseTtlSec: 1 };
    const t0 = performance.now();
    expect(await c('web-1').one.request('g3', short, lease('web-1', 30), 2000)).toMatchObject({
      type: 'budget_granted',
    }); // web-1 "dies": its lease is never finished
    expect(await c('web-2').two.request('g3', short, lease('web-2', 30), 2000)).toMatchObject({
      type: 'budget_denied',
    });
    expect(await c('web-2').two.waitForSlots([{ group: 'g3', service: 'api' }], 10_000, 2000)).toEqual([
      { group: 'g3', service: 'api' },
    ]);
    const wokeMs = performance.now() - t0;
    console.log(`slot notification: woken ${wokeMs.toFixed(0)} ms after a 1 s lease was granted (lapse)`);
    expect(wokeMs).toBeGreaterThanOrEqual(900);
    expect(wokeMs).toBeLessThan(5000); // not the wait's 10 s bound
    expect(await c('web-2').two.request('g3', short, lease('web-2', 30), 2000)).toMatchObject({
      type: 'budget_granted',
    });
  });

  it('one wait per node names every service of it that may ask now; not one that would jump the queue', async () => {
    const two = { ...LIMITS, maxConcurrent: 2 };
    const svc = (node: string, service: string, n: number) => ({
      id: `${node}/${service}/${n}`,
      service,
      operator: false,
    });
    for (const s of ['a', 'b'])
      expect(await c('web-3').one.request('g4', two, svc('web-3', s, 40), 2000)).toMatchObject({
        type: 'budget_granted',
      });
    for (const s of ['api', 'worker'])
      expect(await c('web-1').one.request('g4', two, svc('web-1', s, 40), 2000)).toMatchObject({
        type: 'budget_denied',
      });
    // One slot frees: only the oldest waiter is named.
    expect(await c('web-3').one.finish('web-3/a/40', 2000)).toBe(true);
    const ask = (services: string[]) =>
      c('web-1').two.waitForSlots(
        services.map((service) => ({ group: 'g4', service })),
        1000,
        2000,
      );
    expect(await ask(['api', 'worker', 'cron'])).toEqual([{ group: 'g4', service: 'api' }]);
    // The second frees: both waiters are named in one answer; `cron` (never asked) is not — the
    // two free slots are the waiters', and it would be last in line.
    expect(await c('web-3').one.finish('web-3/b/40', 2000)).toBe(true);
    expect(await ask(['api', 'worker', 'cron'])).toEqual([
      { group: 'g4', service: 'api' },
      { group: 'g4', service: 'worker' },
    ]);
  });

  it('names a service whose grant never reached it, so it asks again with its id and gets that lease back', async () => {
    const granted = await c('web-2').one.request('g5', LIMITS, lease('web-2', 50), 2000);
    expect(granted).toMatchObject({ type: 'budget_granted' }); // "timed out": the agent never saw it
    expect(await c('web-2').two.waitForSlots([{ group: 'g5', service: 'api' }], 5000, 2000)).toEqual([
      { group: 'g5', service: 'api' },
    ]);
    expect(await c('web-2').two.request('g5', LIMITS, lease('web-2', 50), 2000)).toEqual(granted);
  });

  it("a node's newer wait replaces its older one at the replica (answered with none at once)", async () => {
    const older = c('web-3').one.waitForSlots([{ group: 'g1', service: 'api' }], 10_000, 2000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const newer = c('web-3').one.waitForSlots([{ group: 'g1', service: 'api' }], 300, 2000);
    expect(await older).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await newer).toEqual([]); // its own bound
  });

  it("still answers the previous version's one-service wait with { free }", async () => {
    const res = await fetch(`${hubs[0]!.url}/agent/v1/budget/wait`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get('web-3')}` },
      body: JSON.stringify({ group: 'g5', service: 'api', waitMs: 200 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ free: false });
  });
});
