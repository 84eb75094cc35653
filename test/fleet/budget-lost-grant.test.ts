/**
 * A grant whose answer was lost is never left behind (issue 16), real hub, real PostgreSQL, real
 * HTTP, both lease paths (locked, optimistic). The 1,000 × 20 storm stalled this way: a service's
 * grant was made after its agent had timed out; its re-asks under that id timed out too; half a
 * lease TTL later the agent asked under a fresh id, was denied (the slot was held by its own
 * grant) and waited — and the hub tells a waiting service only when it is in line, so nobody
 * ever asked for that grant again: it held its slot until its TTL, with every slot of a group
 * held so at once (docs/BENCHMARKS.md "Fleet budget, run 9"). Now the agent asks with the
 * unanswered id until it is answered (src/agent/lease-ids.ts), however long that takes.
 *
 * The hub is slowed the way a loaded database slows it (as test/fleet/budget-gave-up.test.ts):
 * the test holds the group's row lock, so the agent's first request is granted after its
 * timeout. "Long after" is the agent's clock moved past half the lease's TTL (the hub's clock is
 * the real one: the lease is still in flight there).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetClient } from '../../src/agent/budget-client.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { createAgentBudget } from '../../src/serve/budget.js';
import { untilAgents } from './agents-kit.js';
import { freshDatabase, skipPg } from './pg.js';

/** One slot: the lost grant holds all of it. */
const LIMITS = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 300 };
const TIMEOUT_MS = 1000;
const STARTUP_GRACE_SEC = 5;
/** The lease's TTL at the hub (serve/budget.ts leaseTtlSec: 2 × grace + 60 s). */
const TTL_MS = (2 * STARTUP_GRACE_SEC + 60) * 1000;

const until = <T>(cond: () => Promise<T | null | false | undefined>, ms: number, what: string) =>
  untilAgents([], cond, ms, what, 20);

describe.skipIf(skipPg).each([
  ['locked', '0'],
  ['optimistic', '1'],
])('a lost grant on the %s lease path', (_, optimistic) => {
  let hub: RunningHub;
  let token = '';

  beforeAll(async () => {
    hub = await startHub({
      env: loadEnv({
        MEDIC_HUB_DATABASE_URL: await freshDatabase(),
        MEDIC_PORT: '0',
        MEDIC_HUB_BUDGET_OPTIMISTIC: optimistic,
      }),
      logger: createLogger('silent'),
    });
    token = await createAgentToken(hub.database.db, 'n1', 'n1', 0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const openLeases = async (group: string) =>
    (
      await hub.database.pool.query<{ id: string; service: string }>(
        'SELECT id, service FROM budget_leases WHERE "group" = $1 AND ended_at IS NULL ORDER BY id',
        [group],
      )
    ).rows;
  const service = (name: string, group: string) => ({
    name,
    unit: `${name}.service`,
    policy: {
      ...DEFAULT_POLICY,
      startupGraceSec: STARTUP_GRACE_SEC,
      budget: { group, ...LIMITS, onHubUnreachable: 'wait' as const, timeoutMs: TIMEOUT_MS },
    },
  });

  it('is asked for again with its id long after (past half its TTL) and comes back; its slot is never held by nobody', async () => {
    const group = `lost-${optimistic}`;
    // The group exists (a lease granted and ended), then the test holds its row lock.
    const warm = new BudgetClient({ hubUrl: hub.url, token, clock: systemClock });
    const limits = { ...LIMITS, leaseTtlSec: TTL_MS / 1000 };
    expect(
      (await warm.request(group, limits, { id: 'n1/warm/1', service: 'warm', operator: false }, 5000)).type,
    ).toBe('budget_granted');
    expect(await warm.finish('n1/warm/1', 5000)).toBe(true);
    const lock: pg.PoolClient = await hub.database.pool.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM budget_groups WHERE name = $1 FOR UPDATE', [group]);

    // The agent's clock, moved forward by the test (the hub keeps the real one).
    let skew = 0;
    const agent = createAgentBudget({
      hubUrl: hub.url,
      token,
      node: 'n1',
      clock: { ...systemClock, now: () => Date.now() + skew },
      logger: createLogger('silent'),
    });
    const api = service('api', group);
    const web = service('web', group);
    // Its answer comes after the agent's timeout: the grant is made, the agent never hears of it.
    expect((await agent.request(api, false)).type).toBe('budget_unreachable');
    await lock.query('COMMIT');
    lock.release();
    const [lost] = await until(
      async () => {
        const rows = await openLeases(group);
        return rows.length > 0 && rows;
      },
      5000,
      'the late grant',
    );
    expect(lost!.service).toBe('api');

    // Another service waits for the one slot, which the lost grant holds.
    expect((await agent.request(web, false)).type).toBe('budget_denied');
    // Long after (the agent's half lease TTL passed; the lease is in flight at the hub for its
    // whole TTL), the service asks again: its grant comes back — before s8 it asked under a fresh
    // id, was denied by its own grant, and the slot was held by nobody until the TTL.
    skew = TTL_MS / 2 + 5000;
    const again = await agent.request(api, false);
    expect(again).toMatchObject({ type: 'budget_granted', leaseId: lost!.id });
    expect(await openLeases(group)).toEqual([lost]);

    // Its restart done, the slot goes on to the waiting service.
    await agent.finish(api, lost!.id);
    const next = await agent.request(web, false);
    expect(next.type).toBe('budget_granted');
    expect((await openLeases(group)).map((l) => l.service)).toEqual(['web']);
  }, 30_000);
});
