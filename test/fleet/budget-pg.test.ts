import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock } from '../../src/clock/clock.js';
import type { BudgetLimits } from '../../src/fleet/budget.js';
import { finishLease, groupViews, requestLease } from '../../src/hub/budget.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { freshDatabase, skipPg } from './pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipPg)('the fleet budget in PostgreSQL', () => {
  let hub: HubDatabase;
  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
  });
  afterAll(() => hub?.close());

  it('30 agents asking at once never hold more than maxConcurrent leases, and every one gets its turn', async () => {
    const limits: BudgetLimits = { maxConcurrent: 3, maxPerWindow: 1000, windowSec: 300, leaseTtlSec: 30 };
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const agent = async (i: number) => {
      const service = `api-${i}`;
      for (let attempt = 0; ; attempt++) {
        // Ask again at once instead of at retryAt: the row lock, not politeness, keeps the limit.
        const answer = await requestLease(
          hub.db,
          'shop-api',
          limits,
          { id: `lease-${i}`, node: `node-${i}`, service, operator: false },
          systemClock,
        );
        if (answer.granted) break;
        expect(attempt).toBeLessThan(2000);
        await sleep(20);
      }
      running++;
      peak = Math.max(peak, running);
      order.push(service);
      await sleep(300); // the restart (long beside a lease request, as a real restart is)
      running--;
      expect(await finishLease(hub.db, `lease-${i}`, Date.now())).toBe(true);
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => agent(i)));
    expect(peak).toBeLessThanOrEqual(3);
    expect(new Set(order).size).toBe(30);
    // The lease table agrees: at no grant time were more than 3 leases open.
    const { rows } = await hub.pool.query<{ granted_at: string; ended_at: string }>(
      'SELECT granted_at, ended_at FROM budget_leases WHERE "group" = $1',
      ['shop-api'],
    );
    expect(rows).toHaveLength(30);
    const spans = rows.map((r) => [Number(r.granted_at), Number(r.ended_at)] as const);
    const openAt = spans.map(([start]) => spans.filter(([s, e]) => s <= start && e > start).length);
    expect(Math.max(...openAt)).toBe(3); // the limit is used, never exceeded
    const [view] = await groupViews(hub.db, Date.now(), ['shop-api']);
    expect(view).toMatchObject({ group: 'shop-api', inFlight: 0, usedInWindow: 30, waiting: 0 });
  });

  it('lets a lease of a dead agent lapse after its TTL', async () => {
    const limits: BudgetLimits = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 60, leaseTtlSec: 1 };
    const clock = new SimulatedClock();
    const t0 = clock.now();
    const dead = await requestLease(
      hub.db,
      'ttl',
      limits,
      { id: 'd', node: 'gone', service: 'db', operator: false },
      clock,
    );
    expect(dead.granted).toBe(true);
    clock.advance(500);
    const blocked = await requestLease(
      hub.db,
      'ttl',
      limits,
      { id: 'x', node: 'n2', service: 'db', operator: false },
      clock,
    );
    expect(blocked).toMatchObject({
      granted: false,
      retryAt: t0 + 1500,
      numbers: { inFlight: 1, waiting: 1 },
    });
    clock.advance(500);
    const later = await requestLease(
      hub.db,
      'ttl',
      limits,
      { id: 'x', node: 'n2', service: 'db', operator: false },
      clock,
    );
    expect(later).toMatchObject({ granted: true, lease: { id: 'x' }, numbers: { inFlight: 1, waiting: 0 } });
  });
});
