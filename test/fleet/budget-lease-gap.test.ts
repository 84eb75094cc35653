/**
 * The lease lanes' gap (src/hub/budget-batch.ts `minGapMs`, MEDIC_HUB_BUDGET_LEASE_GAP_MS), real
 * PostgreSQL: requests queued while a lane's batch runs go together no sooner than the gap after
 * that batch started; a request to an idle batcher goes at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { LeaseBatcher } from '../../src/hub/budget-batch.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { ServerTiming } from '../../src/hub/server-timing.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 100, maxPerWindow: 1000, windowSec: 300, leaseTtlSec: 60 };
const GAP = 400;

/** A request's `queue` stage (ms): how long it waited for its batch to start. */
const queued = (t: ServerTiming) => Number(/queue;dur=([\d.]+)/.exec(t.header())![1]);

describe.skipIf(skipPg)('the lease lanes’ gap', () => {
  let hub: HubDatabase;
  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
  });
  afterAll(() => hub?.close());

  it('sends what queued during a batch together, a gap after that batch started; an idle lane goes at once', async () => {
    const batcher = new LeaseBatcher(hub.db, systemClock, 500, 1, true, GAP);
    const ask = (i: number, timing: ServerTiming) =>
      batcher.request(
        'gap',
        LIMITS,
        { id: `gap-${i}`, node: `n${i}`, service: 'api', operator: false },
        timing,
      );
    const timings = Array.from({ length: 6 }, () => new ServerTiming());
    // One tick: the first goes at once, the other five queue behind its batch.
    const answers = await Promise.all(timings.map((t, i) => ask(i, t)));
    expect(answers.every((a) => a.granted)).toBe(true);
    expect(batcher.stats.batches).toBe(2);
    expect(queued(timings[0]!)).toBeLessThan(GAP / 4);
    // Without the gap they would have gone as soon as the first batch ended.
    for (const t of timings.slice(1)) expect(queued(t)).toBeGreaterThanOrEqual(GAP * 0.9);
    await new Promise((r) => setTimeout(r, GAP + 100));
    const idle = new ServerTiming();
    expect((await ask(6, idle)).granted).toBe(true);
    expect(queued(idle)).toBeLessThan(GAP / 4);
    expect(batcher.stats.batches).toBe(3);
  });

  it('refuses a gap without a Clock that can wait', () => {
    expect(() => new LeaseBatcher(hub.db, { now: () => 0 }, 500, 1, true, 10)).toThrow(/monotonic/);
  });
});
