/**
 * Pruning `budget_leases` (issue 16, src/hub/budget-prune.ts) against real PostgreSQL: rows that
 * can no longer count (ended or lapsed, past the window and the TTL by the margin) are deleted;
 * rows that still count, or whose id may still be retried, stay; what the arbiter counts is the
 * same before and after; the limit holds afterwards, also for a late retry of a pruned id; a
 * backlog goes in bounded batches, several replicas at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import type { BudgetLimits } from '../../src/fleet/budget.js';
import { finishLease, groupViews, requestLease } from '../../src/hub/budget.js';
import { LeaseCache } from '../../src/hub/budget-cache.js';
import { PRUNE_MARGIN_MS, pruneLeases } from '../../src/hub/budget-prune.js';
import { arbitrateGroups } from '../../src/hub/budget-tx.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { Sweeper } from '../../src/hub/sweeper.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase, skipPg } from './pg.js';

const S = 1000;
// The TTL longer than the window: the TTL, not the window, keeps an id that may be retried.
const LIMITS: BudgetLimits = { maxConcurrent: 2, maxPerWindow: 1000, windowSec: 60, leaseTtlSec: 120 };
const WIDE: BudgetLimits = { ...LIMITS, windowSec: 3600 };

describe.skipIf(skipPg)('pruning the fleet budget lease table', () => {
  let hub: HubDatabase;
  const ids = async (group: string) =>
    (
      await hub.pool.query<{ id: string }>('SELECT id FROM budget_leases WHERE "group" = $1 ORDER BY id', [
        group,
      ])
    ).rows.map((r) => r.id);

  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
  });
  afterAll(() => hub?.close());

  it('deletes only rows past the window and the TTL by the margin; the counts, the limit and a late retry of a pruned id stay within maxConcurrent', async () => {
    const clock = new SimulatedClock();
    const t0 = clock.now();
    // Prune time P: the old leases are more than max(window, TTL) + margin old.
    const P = t0 + LIMITS.leaseTtlSec * S + PRUNE_MARGIN_MS + 5 * S;
    const grant = async (id: string, at: number, end: number | null, limits = LIMITS, group = 'p') => {
      clock.advance(at - clock.now());
      const a = await requestLease(
        hub.db,
        group,
        limits,
        { id, node: 'n', service: id, operator: false },
        clock,
      );
      expect(a.granted, id).toBe(true);
      if (end !== null) expect(await finishLease(hub.db, id, at + end)).toBe(true);
    };
    const cache = new LeaseCache();
    const viaCache = async (id: string) =>
      (
        await arbitrateGroups(
          hub.db,
          new Map([['p', [{ limits: LIMITS, req: { id, node: 'n', service: id, operator: false } }]]]),
          clock,
          cache,
        )
      ).get('p')![0]!;

    await grant('a-old-ended', t0, S);
    await grant('b-old-lapsed', t0 + S, null); // a dead agent: never finished, lapsed at its TTL
    await grant('w-wide-window', t0 + 2 * S, S, WIDE, 'wide'); // its group's window is an hour
    // A replica's cache holds the lapsing lease as open now (it must forget it once its row is gone).
    expect((await viaCache('probe-0')).granted).toBe(true);
    expect(await finishLease(hub.db, 'probe-0', clock.now())).toBe(true);
    // Ended, granted before window + margin, but its TTL + margin not over: a retry may still come.
    await grant('c-ttl-keeps', P - PRUNE_MARGIN_MS - 90 * S, S);
    await grant('d-margin-keeps', P - PRUNE_MARGIN_MS - 30 * S, S); // past the window, not the margin
    await grant('e-in-window', P - 10 * S, S);
    await grant('f-in-flight', P - 5 * S, null);
    clock.advance(P - clock.now());
    const before = await groupViews(hub.db, P, ['p', 'wide']);

    expect(await pruneLeases(hub.db, P)).toBe(3);
    expect(await ids('p')).toEqual(['c-ttl-keeps', 'd-margin-keeps', 'e-in-window', 'f-in-flight']);
    expect(await ids('wide')).toEqual(['w-wide-window']);
    expect(await pruneLeases(hub.db, P)).toBe(0);
    // What counts is the same: in flight, used in the window, waiting.
    expect(await groupViews(hub.db, P, ['p', 'wide'])).toEqual(before);

    // The limit holds afterwards (the cached path and the plain one): one slot left of two.
    expect((await viaCache('g-second')).granted).toBe(true);
    // A late retry of a pruned id: the group is full, so it waits like any request...
    expect((await viaCache('a-old-ended')).granted).toBe(false);
    expect(
      (
        await requestLease(
          hub.db,
          'p',
          LIMITS,
          { id: 'b-old-lapsed', node: 'n', service: 'b', operator: false },
          clock,
        )
      ).granted,
    ).toBe(false);
    // ...and once a slot frees it is granted as a new lease, stored and counted like any other.
    clock.advance(S);
    expect(await finishLease(hub.db, 'f-in-flight', clock.now())).toBe(true);
    expect((await viaCache('a-old-ended')).granted).toBe(true);
    expect((await viaCache('h-third')).granted).toBe(false);
    const [view] = await groupViews(hub.db, clock.now(), ['p']);
    expect(view!.inFlight).toBe(2);
    const { rows } = await hub.pool.query<{ granted_at: string; ended_at: string | null }>(
      `SELECT granted_at, ended_at FROM budget_leases WHERE id = 'a-old-ended'`,
    );
    expect(rows).toEqual([{ granted_at: String(clock.now()), ended_at: null }]);
  });

  it('a backlog goes in bounded batches, several replicas at once, and the sweeper counts it once', async () => {
    const now = Date.now();
    const old = now - 2 * 3600 * S;
    while ((await pruneLeases(hub.db, now)) > 0); // the first test's rows (simulated time, long ago)
    await hub.pool.query(`INSERT INTO budget_groups (name, limits, updated_at) VALUES ('bulk', $1, $2)`, [
      JSON.stringify(LIMITS),
      now,
    ]);
    // 6,000 spent rows two hours old, and 50 that still count.
    await hub.pool.query(
      `INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
       SELECT 'old-' || i, 'bulk', 'n', 's', $1::bigint + i, $1::bigint + i + 120000, $1::bigint + i + 500, false FROM generate_series(1, 6000) i`,
      [old],
    );
    await hub.pool.query(
      `INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
       SELECT 'new-' || i, 'bulk', 'n', 's', $1::bigint - i, $1::bigint - i + 120000, NULL, false FROM generate_series(1, 50) i`,
      [now],
    );
    await hub.pool.query('ANALYZE budget_leases');
    const counts: number[] = [];
    const replica = async () => {
      for (;;) {
        const n = await pruneLeases(hub.db, now, { batch: 500 });
        counts.push(n);
        if (n === 0) return;
      }
    };
    await Promise.all([replica(), replica(), replica()]);
    expect(counts.every((n) => n <= 500)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6000);
    expect((await ids('bulk')).length).toBe(50);

    // The sweeper: the same, through its rounds; one log line with the count when drained.
    await hub.pool.query(
      `INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
       SELECT 'again-' || i, 'bulk', 'n', 's', $1::bigint + i, $1::bigint + i + 120000, NULL, false FROM generate_series(1, 2500) i`,
      [old],
    );
    const lines: { msg: string; rows?: number }[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
    let metric = 0;
    const clock = new SimulatedClock(now);
    const sweeper = new Sweeper({
      db: hub.db,
      clock,
      logger,
      intervalMs: 1000,
      silenceMs: 60_000,
      onPruned: (n) => {
        metric += n;
      },
    });
    for (let i = 0; i < 4; i++) await sweeper.sweep();
    expect(metric).toBe(2500);
    expect(lines.map((l) => [l.msg, l.rows])).toEqual([['fleet budget lease rows pruned', 2500]]);
  });
});
