/**
 * Finishes group-committed at the hub (src/hub/budget-finish-batch.ts), real PostgreSQL: many
 * finishes at once share statements, each is answered whether its lease was open (true once per
 * lease; a repeat or an unknown id false), the leases end in the table, and the ending NOTIFYs
 * `{ budget: group }` once per group on the hub's channel.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { requestLease } from '../../src/hub/budget.js';
import { FinishBatcher } from '../../src/hub/budget-finish-batch.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { HUB_CHANNEL } from '../../src/hub/events.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 100, maxPerWindow: 1000, windowSec: 300, leaseTtlSec: 60 };

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
});
