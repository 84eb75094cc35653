/**
 * The slot notification's read of a group (src/hub/budget-notice-read.ts, real PostgreSQL): one
 * statement per check; the leases in flight as they are, the window's grants as a count and the
 * oldest — the window's start from the group's stored limits, a grant exactly at it outside as
 * in the arbiter —, every waiter; null for a group the hub has never seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readForNotice } from '../../src/hub/budget-notice-read.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { freshDatabase, skipPg } from './pg.js';

const NOW = 50_000_000;
const LIMITS = { maxConcurrent: 5, maxPerWindow: 10, windowSec: 60, leaseTtlSec: 30 };
const START = NOW - LIMITS.windowSec * 1000;

describe.skipIf(skipPg)('the slot notification read (real PostgreSQL)', () => {
  let hub: HubDatabase;
  beforeAll(async () => {
    hub = openHubDatabase(await freshDatabase());
    await migrateHub(hub.pool);
    await hub.pool.query(
      `INSERT INTO budget_groups (name, limits, updated_at, version) VALUES ('g', $1, 0, 3)`,
      [JSON.stringify(LIMITS)],
    );
    const lease = (id: string, granted: number, expires: number, ended: number | null) =>
      hub.pool.query(
        `INSERT INTO budget_leases (id, "group", node, service, granted_at, expires_at, ended_at, operator)
         VALUES ($1, 'g', 'n1', $1, $2, $3, $4, false)`,
        [id, granted, expires, ended],
      );
    await lease('old', START - 10_000, START + 20_000, START); // before the window, ended
    await lease('at-start', START, START + 30_000, START + 5); // exactly at the start: outside
    await lease('in-window-ended', START + 1, START + 30_001, START + 100);
    await lease('in-flight', NOW - 10_000, NOW + 20_000, null);
    await lease('lapsed', NOW - 40_000, NOW - 10_000, null); // in the window, past its TTL
    await hub.pool.query(
      `INSERT INTO budget_waiters ("group", node, service, since, seen_at) VALUES ('g', 'n2', 'api', $1, $1)`,
      [NOW - 500],
    );
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('reads a group in one statement: in flight, the window as count and oldest, the waiters', async () => {
    const pool = hub.pool as unknown as { query: (...a: unknown[]) => unknown };
    const query = pool.query.bind(hub.pool);
    let statements = 0;
    pool.query = (...a: unknown[]) => {
      statements++;
      return query(...a);
    };
    let read: Awaited<ReturnType<typeof readForNotice>>;
    try {
      read = await readForNotice(hub.db, 'g', NOW);
    } finally {
      pool.query = query;
    }
    expect(statements).toBe(1);
    expect(read!.limits).toEqual(LIMITS);
    const live = read!.state.leases.filter((l) => !l.id.startsWith('\u0000'));
    expect(live.map((l) => l.id)).toEqual(['in-flight']);
    // in-window-ended, in-flight and lapsed count in the window; in-flight itself is live.
    const stand = read!.state.leases.filter((l) => l.id.startsWith('\u0000'));
    expect(stand).toHaveLength(2);
    expect(stand.every((l) => l.grantedAt === START + 1 && l.endedAt === START + 1)).toBe(true);
    expect(read!.state.waiters).toEqual([
      { node: 'n2', service: 'api', since: NOW - 500, seenAt: NOW - 500 },
    ]);
  });

  it('is null for a group the hub has never seen', async () => {
    expect(await readForNotice(hub.db, 'nobody', NOW)).toBeNull();
  });
});
