/**
 * The lease arbitration's read (src/hub/budget-read.ts, real PostgreSQL): its text holds only the
 * parts the batch needs (no full-read arm for groups the cache knows, no by-id arm without open
 * leases, no id lookup without asked ids), and a batch mixing groups read in full, read through
 * the cache with and without open leases, and asked ids the table has, reads each group exactly
 * as reading it alone with every part does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetLimits, GroupState } from '../../src/fleet/budget.js';
import { endLeases } from '../../src/hub/budget.js';
import { LeaseCache } from '../../src/hub/budget-cache.js';
import { type Queryable, readGroups } from '../../src/hub/budget-read.js';
import { arbitrateGroups } from '../../src/hub/budget-tx.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS: BudgetLimits = { maxConcurrent: 10, maxPerWindow: 100, windowSec: 60, leaseTtlSec: 30 };
const NOW = 10_000_000;
const START = NOW - LIMITS.windowSec * 1000;

/** The pool, keeping each statement's text. */
function recording(hub: HubDatabase): { db: Queryable; texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    db: {
      query: async <R>(q: { text: string; values: unknown[] }) => {
        texts.push(q.text);
        return (await hub.pool.query(q)) as unknown as { rows: R[] };
      },
    },
  };
}

const sorted = (g: GroupState) => ({
  leases: [...g.leases].sort((a, b) => (a.id < b.id ? -1 : 1)),
  waiters: g.waiters,
  spent: g.spent ?? [],
});

describe.skipIf(skipPg)('the lease read (real PostgreSQL)', () => {
  let hub: HubDatabase;
  const clock = { now: () => NOW };
  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
    // Groups a, b, c with leases: some ended, one granted again under a fresh cache.
    for (const g of ['a', 'b', 'c'])
      await arbitrateGroups(
        hub.db,
        new Map([
          [
            g,
            [0, 1, 2].map((i) => ({
              limits: LIMITS,
              req: { id: `${g}-${i}`, node: `n${i}`, service: `s${i}`, operator: false },
            })),
          ],
        ]),
        clock,
      );
    await endLeases(hub.db, ['a-0', 'b-0', 'b-1', 'b-2'], NOW);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('sends only the parts a batch of cached groups needs', async () => {
    const cache = new LeaseCache();
    // Known to the cache; b's leases are all ended (none open).
    await readGroups(
      hub.pool,
      ['a', 'b'].map((g) => cache.plan(g, START, NOW)),
      NOW,
      cache,
    );
    const { db, texts } = recording(hub);
    await readGroups(db, [cache.plan('b', START, NOW)], NOW, cache);
    expect(texts[0]).toContain('seq > g.since');
    expect(texts[0]).not.toContain('g.since IS NULL');
    expect(texts[0]).not.toContain('id = ANY(g.open)');
    expect(texts[0]).not.toContain('id = ANY(g.ids)');
    await readGroups(db, [cache.plan('a', START, NOW)], NOW, cache, new Map([['a', ['a-9']]]));
    expect(texts[1]).toContain('id = ANY(g.open)');
    expect(texts[1]).toContain('id = ANY(g.ids)');
    expect(texts[1]).not.toContain('g.since IS NULL');
  });

  it('reads each group of a mixed batch as reading it alone with every part does', async () => {
    const cache = new LeaseCache();
    await readGroups(
      hub.pool,
      ['a', 'b'].map((g) => cache.plan(g, START, NOW)),
      NOW,
      cache,
    );
    // c is granted more after the cache read a and b: a sees it not, b gets new rows since.
    await arbitrateGroups(
      hub.db,
      new Map([['b', [{ limits: LIMITS, req: { id: 'b-3', node: 'n3', service: 's3', operator: false } }]]]),
      clock,
    );
    const asked = new Map([
      ['a', ['a-0', 'a-new']],
      ['c', ['c-1', 'b-3']],
    ]);
    const plans = ['a', 'b', 'c'].map((g) => cache.plan(g, START, NOW));
    expect(plans.map((p) => p.since === null)).toEqual([false, false, true]);
    const mixed = await readGroups(hub.pool, plans, NOW, cache, asked);
    for (const g of ['a', 'b', 'c']) {
      const alone = await readGroups(
        hub.pool,
        [{ name: g, windowStart: START, since: null, open: [] }],
        NOW,
        undefined,
        new Map([[g, asked.get(g) ?? []]]),
      );
      expect(sorted(mixed.get(g)!)).toEqual(sorted(alone.get(g)!));
    }
    // c's spent id from another group, a's ended lease still counts in the window (not spent).
    expect(mixed.get('c')!.spent).toEqual(['b-3']);
    expect(mixed.get('a')!.spent).toBeUndefined();
  });
});
