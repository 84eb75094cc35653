/**
 * Finishes group-committed at the hub (src/hub/budget-finish-batch.ts), real PostgreSQL: many
 * finishes at once share statements, each is answered whether its lease was open (true once per
 * lease; a repeat or an unknown id false), the leases end in the table, and the ending NOTIFYs
 * `{ budget: group }` once per group on the hub's channel. A steady stream of finishes goes in at
 * most one statement per FINISH_GAP_MS; a finish after a quiet spell goes at once; a failed
 * statement fails its batch only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock } from '../../src/clock/clock.js';
import { requestLease } from '../../src/hub/budget.js';
import { FINISH_GAP_MS, FinishBatcher } from '../../src/hub/budget-finish-batch.js';
import { type HubDatabase, type HubDb, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { HUB_CHANNEL } from '../../src/hub/events.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 500, maxPerWindow: 1000, windowSec: 300, leaseTtlSec: 60 };

async function grant(db: HubDb, group: string, ids: readonly string[]): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const r = await requestLease(
      db,
      group,
      LIMITS,
      { id, node: `n${i}`, service: 'api', operator: false },
      systemClock,
    );
    expect(r.granted).toBe(true);
  }
}

/** True once `p` has settled within `ms` of real time. */
const settles = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe.skipIf(skipPg)('lease finishes in batches', () => {
  let url = '';
  let hub: HubDatabase;
  beforeAll(async () => {
    url = await freshDatabase();
    hub = openHubDatabase(url);
    await migrateHub(hub.pool);
  });
  afterAll(() => hub?.close());

  it('answers each finish once, shares statements, ends the leases and notifies each group once', async () => {
    for (const group of ['g1', 'g2'])
      for (let i = 0; i < 40; i++) {
        const id = `${group}-${i}`;
        const r = await requestLease(
          hub.db,
          group,
          LIMITS,
          { id, node: `n${i}`, service: 'api', operator: false },
          systemClock,
        );
        expect(r.granted).toBe(true);
      }
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (m) => {
      if (m.payload?.includes('budget')) heard.push(m.payload);
    });
    await listener.query(`LISTEN ${HUB_CHANNEL}`);
    try {
      const batcher = new FinishBatcher(hub.db, systemClock);
      const ids = ['g1', 'g2'].flatMap((g) => Array.from({ length: 40 }, (_, i) => `${g}-${i}`));
      // Every lease twice and one unknown id, all at once.
      const answers = await Promise.all([...ids, ...ids, 'nope'].map((id) => batcher.finish(id)));
      const trueBy = new Map<string, number>();
      [...ids, ...ids].forEach((id, k) => {
        if (answers[k]) trueBy.set(id, (trueBy.get(id) ?? 0) + 1);
      });
      expect([...trueBy.values()].every((n) => n === 1)).toBe(true);
      expect(trueBy.size).toBe(80);
      expect(answers.at(-1)).toBe(false);
      expect(batcher.stats.finishes).toBe(161);
      expect(batcher.stats.batches).toBeLessThan(161);
      const { rows } = await hub.pool.query(
        'SELECT count(*)::int AS n FROM budget_leases WHERE ended_at IS NULL',
      );
      expect(rows[0].n).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      // Once per group per statement: never once per lease.
      expect(new Set(heard)).toEqual(new Set(['{"budget" : "g1"}', '{"budget" : "g2"}']));
      expect(heard.length).toBeLessThanOrEqual(2 * batcher.stats.batches);
    } finally {
      await listener.end();
    }
  });

  it('sends a steady stream of finishes in at most one statement per FINISH_GAP_MS', async () => {
    // 150 finishes 2 ms apart: one statement each took ~1 ms, so each went alone (~150 statements);
    // with the gap they share at most one statement per FINISH_GAP_MS of the stream.
    const ids = Array.from({ length: 150 }, (_, i) => `s-${i}`);
    await grant(hub.db, 'steady', ids);
    const batcher = new FinishBatcher(hub.db, systemClock);
    const t0 = performance.now();
    const answers: Promise<boolean>[] = [];
    for (const id of ids) {
      answers.push(batcher.finish(id));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await Promise.all(answers)).toEqual(ids.map(() => true));
    const elapsed = performance.now() - t0;
    expect(batcher.stats.finishes).toBe(150);
    // Each start is FINISH_GAP_MS or more after the one before.
    expect(batcher.stats.batches).toBeLessThanOrEqual(Math.floor(elapsed / FINISH_GAP_MS) + 1);
    expect(batcher.stats.batches).toBeLessThan(75);
  });

  it('sends a finish after a quiet spell at once and one right after it only after the gap', async () => {
    await grant(hub.db, 'quiet', ['q-1', 'q-2']);
    const clock = new SimulatedClock(Date.now());
    const batcher = new FinishBatcher(hub.db, clock);
    // No simulated time passes: the first went without waiting for any timer.
    expect(await batcher.finish('q-1')).toBe(true);
    const second = batcher.finish('q-2');
    expect(await settles(second, 200)).toBe(false);
    clock.advance(FINISH_GAP_MS - 1);
    expect(await settles(second, 50)).toBe(false);
    clock.advance(1);
    expect(await second).toBe(true);
    expect(batcher.stats).toEqual({ batches: 2, finishes: 2 });
    // A quiet spell again: the next goes at once.
    clock.advance(FINISH_GAP_MS);
    expect(await batcher.finish('q-1')).toBe(false);
  });

  it('fails every finish of a failed statement, and only those', async () => {
    let down = true;
    const db = {
      $client: {
        query: async (q: { text: string; values: unknown[] }) => {
          if (down) throw new Error('PostgreSQL down');
          return hub.db.$client.query(q);
        },
      },
    } as unknown as HubDb;
    await grant(hub.db, 'fail', ['f-1', 'f-2', 'f-3']);
    const clock = new SimulatedClock(Date.now());
    const batcher = new FinishBatcher(db, clock);
    const first = batcher.finish('f-1');
    // f-2 and f-3 wait for the gap, together.
    const later = [batcher.finish('f-2'), batcher.finish('f-3')].map((p) => p.catch((e: Error) => e.message));
    await expect(first).rejects.toThrow('PostgreSQL down');
    clock.advance(FINISH_GAP_MS);
    expect(await Promise.all(later)).toEqual(['PostgreSQL down', 'PostgreSQL down']);
    down = false;
    clock.advance(FINISH_GAP_MS);
    expect(await batcher.finish('f-2')).toBe(true);
    expect(batcher.stats).toEqual({ batches: 1, finishes: 1 });
  });
});
