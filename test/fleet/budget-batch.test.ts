/**
 * The hub's lease path under load (issue 16): requests of one group batched into one transaction
 * each (src/hub/budget-batch.ts) on two "replicas" (two batchers, two pools) against one real
 * PostgreSQL never hold more than maxConcurrent leases — by the lease table — and serve everyone;
 * and the arbiter's retry estimate (src/fleet/budget.ts): once leases of the group ended, a waiter
 * is told to come back about when its slot should open, not a second later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { arbitrate, type BudgetLimits, type GroupState, MIN_RETRY_MS } from '../../src/fleet/budget.js';
import { finishLease } from '../../src/hub/budget.js';
import { LeaseBatcher } from '../../src/hub/budget-batch.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { peakOverlap } from './budget-fleet.js';
import { freshDatabase, skipPg } from './pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the retry estimate', () => {
  const limits: BudgetLimits = { maxConcurrent: 2, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 60 };
  const lease = (id: string, grantedAt: number, endedAt: number | null) => ({
    id,
    node: 'n',
    service: id,
    grantedAt,
    expiresAt: grantedAt + 60_000,
    endedAt,
    operator: false,
  });
  const now = 1_000_000;

  it('says when the slot of a waiter should open from how long the group’s leases last', () => {
    const group: GroupState = {
      // Two restarts took 200 ms each; two are in flight since 50 ms.
      leases: [
        lease('a', now - 5000, now - 4800),
        lease('b', now - 4000, now - 3800),
        lease('c', now - 50, null),
        lease('d', now - 50, null),
      ],
      waiters: [],
    };
    const first = arbitrate(group, { id: 'x', node: 'n1', service: 'x', operator: false }, now, limits);
    expect(first.answer).toMatchObject({ granted: false, position: 1, retryAt: now + 150 });
    let g = first.group;
    g = arbitrate(g, { id: 'y', node: 'n2', service: 'y', operator: false }, now + 1, limits).group;
    const third = arbitrate(g, { id: 'z', node: 'n3', service: 'z', operator: false }, now + 2, limits);
    // Two ahead: the slots open at +150 ms, then again a typical lease later.
    expect(third.answer).toMatchObject({ granted: false, position: 3, retryAt: now + 350 });
  });

  it('never says sooner than MIN_RETRY_MS, and keeps the TTL bound before any lease ended', () => {
    const overdue: GroupState = {
      leases: [
        lease('a', now - 5000, now - 4990),
        lease('c', now - 3000, null),
        lease('d', now - 3000, null),
      ],
      waiters: [],
    };
    const r = arbitrate(overdue, { id: 'x', node: 'n1', service: 'x', operator: false }, now, limits);
    expect(r.answer).toMatchObject({ granted: false, retryAt: now + MIN_RETRY_MS });
    const fresh: GroupState = {
      leases: [lease('c', now - 3000, null), lease('d', now - 3000, null)],
      waiters: [],
    };
    const none = arbitrate(fresh, { id: 'x', node: 'n1', service: 'x', operator: false }, now, limits);
    expect(none.answer).toMatchObject({ granted: false, retryAt: now - 3000 + 60_000 });
  });
});

describe.skipIf(skipPg)('batched lease requests on two replicas (real PostgreSQL)', () => {
  let a: HubDatabase;
  let b: HubDatabase;
  beforeAll(async () => {
    const url = await freshDatabase();
    a = openHubDatabase(url);
    b = openHubDatabase(url);
    await migrateHub(a.pool);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('60 services asking through two batchers never hold more than maxConcurrent leases, and all are served', async () => {
    const limits: BudgetLimits = { maxConcurrent: 3, maxPerWindow: 1000, windowSec: 300, leaseTtlSec: 30 };
    const replicas = [new LeaseBatcher(a.db, systemClock), new LeaseBatcher(b.db, systemClock)];
    const served: string[] = [];
    const agent = async (i: number) => {
      const replica = replicas[i % 2]!;
      for (let attempt = 0; ; attempt++) {
        // Ask again soon regardless of the answer's retryAt: the row lock keeps the limit.
        const answer = await replica.request('batched', limits, {
          id: `b-${i}`,
          node: `node-${i}`,
          service: 'api',
          operator: false,
        });
        if (answer.granted) break;
        expect(attempt).toBeLessThan(3000);
        await sleep(10 + Math.random() * 20);
      }
      served.push(`node-${i}`);
      await sleep(60);
      expect(await finishLease(a.db, `b-${i}`, Date.now())).toBe(true);
    };
    await Promise.all(Array.from({ length: 60 }, (_, i) => agent(i)));
    expect(new Set(served).size).toBe(60);
    const { rows } = await a.pool.query<{ granted_at: string; ended_at: string }>(
      'SELECT granted_at, ended_at FROM budget_leases WHERE "group" = $1',
      ['batched'],
    );
    expect(rows).toHaveLength(60);
    const peak = peakOverlap(rows.map((r) => ({ from: Number(r.granted_at), to: Number(r.ended_at) })));
    expect(peak).toBe(3);
    // Requests did share transactions (that is the point of batching).
    const stats = replicas.map((r) => r.stats);
    const requests = stats.reduce((n, s) => n + s.requests, 0);
    const batches = stats.reduce((n, s) => n + s.batches, 0);
    expect(requests).toBeGreaterThan(batches);
  }, 120_000);
});
