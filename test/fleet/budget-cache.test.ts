/**
 * The replica's lease cache (src/hub/budget-cache.ts, real PostgreSQL): after any interleaving of
 * grants (by this replica and by another, each with its own cache), finishes (without the lock),
 * leases lapsing at their TTL, grants leaving the window and open leases' rows deleted by hand,
 * what a replica reads through its cache — only what changed since its last read — is exactly
 * what a full read returns, leases and waiters; and what it would arbitrate on without a read
 * (`current`, after its own writes from the cache) is the table at the table's version, but for
 * finishes it was not told of and rows deleted by hand, which it still holds as in flight.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetLimits, GroupState } from '../../src/fleet/budget.js';
import { endLeases } from '../../src/hub/budget.js';
import { LeaseCache } from '../../src/hub/budget-cache.js';
import { arbitrateGroups, readGroups } from '../../src/hub/budget-tx.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS: BudgetLimits = { maxConcurrent: 3, maxPerWindow: 8, windowSec: 5, leaseTtlSec: 2 };

type Op =
  | { kind: 'grant'; by: 'mine' | 'other'; n: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'look' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('grant' as const),
    by: fc.constantFrom('mine', 'other'),
    n: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2500 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.constant({ kind: 'look' as const }),
);

const sorted = (g: GroupState) => [...g.leases].sort((a, b) => (a.id < b.id ? -1 : 1));
const waiting = (g: GroupState) =>
  [...g.waiters].sort((a, b) => (`${a.node}/${a.service}` < `${b.node}/${b.service}` ? -1 : 1));

describe.skipIf(skipPg)('the lease cache (real PostgreSQL)', () => {
  let hub: HubDatabase;
  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('reads through the cache exactly what a full read returns, whatever happened in between', async () => {
    let run = 0;
    // How often the property met the state it is about (else it says little).
    const seen = { cachedArbitrations: 0, comparedAtVersion: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const group = `cache-${run++}`;
        let now = 1_000_000;
        const clock = { now: () => now };
        const mine = new LeaseCache();
        const other = new LeaseCache();
        const ids: string[] = [];
        const ended = new Set<string>();
        let next = 0;
        const deleted = new Set<string>();
        const look = async () => {
          const windowStart = now - LIMITS.windowSec * 1000;
          const full = await readGroups(hub.pool, [{ name: group, windowStart, since: null, open: [] }], now);
          // What the replica would arbitrate on without a read: the table's leases when it is at
          // the table's version — except that a finish it did not make may still show as in
          // flight there, and an open row deleted by hand is still held (both only ever count
          // more in flight). At an older version (the other wrote since) its write is refused.
          const current = mine.current(group, windowStart, now);
          if (current) expect(current.version).toBeLessThanOrEqual(full.get(group)!.version);
          if (current && current.version === full.get(group)!.version) {
            seen.comparedAtVersion++;
            const table = new Map(full.get(group)!.leases.map((l) => [l.id, l]));
            for (const l of current.leases) {
              const t = table.get(l.id);
              if (!t) {
                expect(deleted.has(l.id), l.id).toBe(true);
                continue;
              }
              expect({ ...l, endedAt: l.endedAt ?? t.endedAt }).toEqual(t);
            }
            expect(current.leases.length).toBeGreaterThanOrEqual(table.size);
          }
          const cached = await readGroups(hub.pool, [mine.plan(group, windowStart, now)], now, mine);
          expect(sorted(cached.get(group)!)).toEqual(sorted(full.get(group)!));
          // The waiters too: kept at the group's version (budget-waiters-cache.ts), read when it moved.
          expect(waiting(cached.get(group)!)).toEqual(waiting(full.get(group)!));
        };
        for (const o of ops) {
          if (o.kind === 'grant') {
            const items = Array.from({ length: o.n }, () => {
              const id = `${group}/${next++}`;
              ids.push(id);
              return {
                limits: LIMITS,
                req: { id, node: `n${next % 4}`, service: `s${next}`, operator: next % 7 === 0 },
              };
            });
            // This replica's way (optimistic: from its cache when it can); the other's, locked.
            await arbitrateGroups(
              hub.db,
              new Map([[group, items]]),
              clock,
              o.by === 'mine' ? mine : other,
              (step, n) => {
                if (step === 'cached') seen.cachedArbitrations += n;
              },
              o.by === 'mine' ? 'optimistic' : 'locked',
            );
          } else if (o.kind === 'finish' && ids.length > 0) {
            const id = ids[o.pick % ids.length]!;
            const gone = await endLeases(hub.db, [id], now);
            // Half the finishes are this replica's own (its finish batcher tells its cache).
            if (o.pick % 2 === 0) mine.ended([...gone].map(([id, group]) => ({ id, group, endedAt: now })));
            ended.add(id);
          } else if (o.kind === 'delete' && ids.some((id) => !ended.has(id))) {
            // An open lease's row removed by hand (or a restored database): not kept as in flight.
            // (An ended one is kept until it leaves the window: FLEET.md, budget-cache.ts.)
            const open = ids.filter((id) => !ended.has(id));
            const id = open[o.pick % open.length]!;
            await hub.pool.query('DELETE FROM budget_leases WHERE id = $1', [id]);
            deleted.add(id);
          } else if (o.kind === 'tick') {
            now += o.ms;
          } else await look();
        }
        await look();
      }),
      { numRuns: 40 },
    );
    expect(seen.cachedArbitrations).toBeGreaterThan(0);
    expect(seen.comparedAtVersion).toBeGreaterThan(0);
  }, 120_000);

  it('reads in full again when the window reaches further back than what it kept, or time went back', () => {
    const cache = new LeaseCache();
    cache.merge({ name: 'g', windowStart: 1000, since: null, open: [] }, [], 2000);
    expect(cache.plan('g', 1500, 2500).since).toBe(0);
    expect(cache.plan('g', 900, 2500).since).toBeNull();
    expect(cache.plan('g', 1500, 1999).since).toBeNull();
    cache.forget(['g']);
    expect(cache.plan('g', 1500, 2500).since).toBeNull();
  });
});
