/**
 * Arbitrating without the read (src/hub/budget-tx.ts `fromCache`, budget-cache.ts `current`), real
 * PostgreSQL: a replica that wrote a group last arbitrates its next batch from its cache and
 * writes it conditionally — one statement instead of two — and falls back to the read whenever
 * the cache cannot be trusted: a denial (another replica's finish it was not told of), a newer
 * version (another replica's grant: the write is refused), an id the table already has (refused
 * at the write). Statements are counted on the pool the batcher uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import type { BudgetLimits } from '../../src/fleet/budget.js';
import { endLeases } from '../../src/hub/budget.js';
import { LeaseBatcher } from '../../src/hub/budget-batch.js';
import { FinishBatcher } from '../../src/hub/budget-finish-batch.js';
import { type HubDatabase, type HubDb, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { freshDatabase, skipPg } from './pg.js';
import { hookPool } from './pool-hook.js';

const ONE: BudgetLimits = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 60 };
const TWO: BudgetLimits = { ...ONE, maxConcurrent: 2 };

/** `db` whose pool counts the statements sent through it (the lease path's reads and writes). */
function counted(db: HubDb): { db: HubDb; statements: () => number } {
  let n = 0;
  return { db: hookPool(db, () => void n++), statements: () => n };
}

describe.skipIf(skipPg)('arbitrating from the replica cache, without the read', () => {
  let a: HubDatabase;
  let b: HubDatabase;
  let t = 1_000_000;
  // The Clock's time stepped by the test; its monotonic side (the finish batcher's gap) is the system's.
  const clock = { ...systemClock, now: () => t };
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

  const ask = (r: LeaseBatcher, group: string, id: string, limits = ONE) =>
    r.request(group, limits, { id, node: `n-${id}`, service: 'api', operator: false });
  /** Statements a call sent. */
  const cost = async <T>(c: { statements: () => number }, f: () => Promise<T>): Promise<[T, number]> => {
    const before = c.statements();
    const out = await f();
    return [out, c.statements() - before];
  };

  it('grants from the cache with one statement once it wrote the group, and counts its own finishes', async () => {
    const c = counted(a.db);
    const r = new LeaseBatcher(c.db, clock);
    const finishes = new FinishBatcher(a.db, clock, undefined, undefined, (rows) => r.ended(rows));
    const [first, firstCost] = await cost(c, () => ask(r, 'own', 'own-1'));
    expect(first.granted).toBe(true);
    expect(firstCost).toBe(2); // a group it never saw: read, write
    t += 10;
    expect(await finishes.finish('own-1')).toBe(true);
    t += 10;
    // Its own finish freed the only slot: granted from the cache, the write alone.
    const [second, secondCost] = await cost(c, () => ask(r, 'own', 'own-2'));
    expect(second.granted).toBe(true);
    expect(secondCost).toBe(1);
    expect(r.stats.cached).toBe(1);
    const rows = await a.pool.query('SELECT id FROM budget_leases WHERE "group" = $1 ORDER BY id', ['own']);
    expect(rows.rows.map((x) => x.id)).toEqual(['own-1', 'own-2']);
  });

  it('checks a denial from the cache with a read: a finish it was not told of frees the slot', async () => {
    const c = counted(a.db);
    const r = new LeaseBatcher(c.db, clock);
    expect((await ask(r, 'told-not', 'tn-1')).granted).toBe(true);
    t += 10;
    // Ended at another replica (or by hand): this cache still holds it in flight.
    expect((await endLeases(a.db, ['tn-1'], t)).size).toBe(1);
    t += 10;
    const [answer, statements] = await cost(c, () => ask(r, 'told-not', 'tn-2'));
    expect(answer.granted).toBe(true);
    expect(statements).toBe(2); // the cache denied it: read, then the write
    expect(r.stats.cached).toBe(0);
  });

  it("never grants past the limit on a cache another replica's grant made stale: its write is refused, it reads and denies", async () => {
    const c = counted(a.db);
    const mine = new LeaseBatcher(c.db, clock);
    const other = new LeaseBatcher(b.db, clock);
    expect((await ask(mine, 'two', 'two-1', TWO)).granted).toBe(true);
    expect((await ask(other, 'two', 'two-2', TWO)).granted).toBe(true);
    // Mine's cache has one lease in flight and grants; its write, conditioned on the version it
    // wrote, is refused (the other moved it); read: two in flight, denied.
    const [answer, statements] = await cost(c, () => ask(mine, 'two', 'two-3', TWO));
    expect(answer.granted).toBe(false);
    expect(statements).toBe(3);
    expect(mine.stats.conflicts).toBe(1);
    const { rows } = await a.pool.query('SELECT count(*)::int AS n FROM budget_leases WHERE "group" = $1', [
      'two',
    ]);
    expect(rows[0].n).toBe(2);
  });

  it('denies, after a read, a new id the table already has (another group, or pruned out of the window)', async () => {
    const c = counted(a.db);
    const r = new LeaseBatcher(c.db, clock);
    const limits = { ...ONE, maxConcurrent: 5 };
    expect((await ask(r, 'first', 'shared-id', limits)).granted).toBe(true);
    expect((await ask(r, 'second', 'second-1', limits)).granted).toBe(true);
    // The cache of `second` does not know the id: it grants, the write finds it taken and is
    // refused, the read says it is spent.
    const [answer, statements] = await cost(c, () => ask(r, 'second', 'shared-id', limits));
    expect(answer.granted).toBe(false);
    expect(statements).toBe(3);
    const { rows } = await a.pool.query('SELECT "group" FROM budget_leases WHERE id = $1', ['shared-id']);
    expect(rows).toEqual([{ group: 'first' }]);
  });
});
