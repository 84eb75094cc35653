/**
 * The budget protocol end to end (real hub, real PostgreSQL, real HTTP): the agent's BudgetClient
 * gets granted / denied with a retry time / unreachable; the lease's node is the token's; an
 * operator token is refused; every answer says where the hub spent its time (Server-Timing); a
 * stopped hub is `budget_unreachable` within the timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetClient } from '../../src/agent/budget-client.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { FINISH_PATH, LEASE_PATH } from '../../src/fleet/budget-protocol.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken, createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 1, maxPerWindow: 10, windowSec: 300, leaseTtlSec: 60 };

describe.skipIf(skipPg)('the budget protocol over HTTP', () => {
  let hub: RunningHub;
  let a: BudgetClient;
  let b: BudgetClient;
  let hubUrl = '';

  beforeAll(async () => {
    hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    hubUrl = hub.url;
    const client = (token: string) => new BudgetClient({ hubUrl, token, clock: systemClock });
    a = client(await createAgentToken(hub.database.db, 'web-1', 'web-1', 0));
    b = client(await createAgentToken(hub.database.db, 'web-2', 'web-2', 0));
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('grants one lease, denies the next with a retry time, and grants it once the first is finished', async () => {
    const first = await a.request(
      'shop-api',
      LIMITS,
      { id: 'web-1/api/1', service: 'api', operator: false },
      2000,
    );
    expect(first).toMatchObject({ type: 'budget_granted', leaseId: 'web-1/api/1', numbers: { inFlight: 1 } });
    const second = await b.request(
      'shop-api',
      LIMITS,
      { id: 'web-2/api/1', service: 'api', operator: false },
      2000,
    );
    expect(second).toMatchObject({
      type: 'budget_denied',
      position: 1,
      numbers: { inFlight: 1, waiting: 1 },
    });
    if (second.type === 'budget_denied') expect(second.retryAt).toBeGreaterThan(Date.now());
    expect(await a.finish('web-1/api/1', 2000)).toBe(true);
    const again = await b.request(
      'shop-api',
      LIMITS,
      { id: 'web-2/api/1', service: 'api', operator: false },
      2000,
    );
    expect(again).toMatchObject({ type: 'budget_granted', leaseId: 'web-2/api/1' });
    const { rows } = await hub.database.pool.query('SELECT id, node FROM budget_leases ORDER BY granted_at');
    expect(rows).toEqual([
      { id: 'web-1/api/1', node: 'web-1' },
      { id: 'web-2/api/1', node: 'web-2' },
    ]);
  });

  it('refuses a token that is not an agent token and a malformed request', async () => {
    const op = new BudgetClient({
      hubUrl,
      token: await createHubToken(hub.database.db, 'alice', 'operator', null, 0),
      clock: systemClock,
    });
    expect(await op.request('g', LIMITS, { id: 'x', service: 'api', operator: false }, 2000)).toEqual({
      type: 'budget_unreachable',
      reason: 'hub answered 403 WRONG_ROLE',
      nothingGranted: true, // refused before any arbitration: no grant for the agent to end
    });
    const bad = await a.request(
      'g',
      { ...LIMITS, maxConcurrent: 0 },
      { id: 'x', service: 'api', operator: false },
      2000,
    );
    expect(bad).toEqual({
      type: 'budget_unreachable',
      reason: 'hub answered 400 MALFORMED_REQUEST',
      nothingGranted: true,
    });
  });

  it('says where the hub spent its time on each answer (a Server-Timing header)', async () => {
    const token = await createAgentToken(hub.database.db, 'web-3', 'web-3', 0);
    const post = (path: string, body: unknown) =>
      fetch(hubUrl + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const stages = (res: Response) =>
      (res.headers.get('server-timing') ?? '').split(', ').map((part) => part.split(';')[0]);
    const lease = await post(LEASE_PATH, {
      group: 'timed',
      limits: LIMITS,
      id: 'web-3/api/1',
      service: 'api',
      operator: false,
    });
    expect(lease.status).toBe(200);
    expect(stages(lease)).toEqual([
      'auth',
      'body',
      'queue',
      'tx',
      // The hub's default, the optimistic way (MEDIC_HUB_BUDGET_OPTIMISTIC=1, src/hub/budget-tx.ts).
      ...['read', 'arbiter', 'write'].map((step) => `tx-${step}`),
      'total',
    ]);
    expect(lease.headers.get('server-timing')).toMatch(/tx;dur=[0-9.]+;desc="batch of 1 tries 1"/);
    const finish = await post(FINISH_PATH, { id: 'web-3/api/1' });
    expect(await finish.json()).toEqual({ ended: true });
    expect(stages(finish)).toEqual(['auth', 'body', 'queue', 'tx', 'total']);
  });

  it('says unreachable within the timeout when the hub is gone', async () => {
    await hub.close();
    const t0 = Date.now();
    const answer = await a.request(
      'shop-api',
      LIMITS,
      { id: 'web-1/api/2', service: 'api', operator: false },
      500,
    );
    expect(answer.type).toBe('budget_unreachable');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
