/**
 * Lease requests whose agent gave up (issue 16), real hub, real PostgreSQL, real HTTP. The hub's
 * arbitration is slowed the way a loaded database slows it: the test holds the group's row lock
 * (`SELECT … FOR UPDATE` on `budget_groups`) in a transaction of its own, so the hub's lease
 * transactions wait in PostgreSQL while the agents' timeouts pass — no seam in the hub's code.
 * - the requests the hub took into a batch before their agents' deadline are granted late (their
 *   answers are lost), the ones still queued when their deadline passed are answered
 *   LEASE_REQUEST_EXPIRED and never arbitrated (nothing granted, counted in
 *   `medic_budget_lease_requests_expired_total`); re-asked with the same ids, the late grants come
 *   back as the same leases and the others are granted once, so no slot is lost;
 * - an agent of the previous version (no `Medic-Wait-Ms`) is arbitrated however late, as before;
 *   a malformed header is refused; the body is the old one, so a hub before the header takes it;
 * - the agent's own port: with `onHubUnreachable: wait` it asks again with the same id and gets
 *   the late grant back; with `local` (it restarted without a lease and never asks for that id
 *   again) it ends the late grant shortly after, instead of leaving it in flight for the TTL.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetClient } from '../../src/agent/budget-client.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { LEASE_PATH, leaseRequestSchema, WAIT_HEADER } from '../../src/fleet/budget-protocol.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { createAgentBudget, RELEASE_AFTER_TIMEOUTS } from '../../src/serve/budget.js';
import { untilAgents } from './agents-kit.js';
import { freshDatabase, skipPg } from './pg.js';

const LIMITS = { maxConcurrent: 10, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 60 };
const TIMEOUT_MS = 1000;

const until = <T>(cond: () => Promise<T | null | false | undefined>, ms: number, what: string) =>
  untilAgents([], cond, ms, what, 20);

describe.skipIf(skipPg)('lease requests whose agent gave up', () => {
  let hub: RunningHub;
  let token = '';
  let client: BudgetClient;

  beforeAll(async () => {
    hub = await startHub({
      // The locked way: this test slows an arbitration by holding its group's row lock, which
      // only the locked way waits for before it reads (the optimistic way reads, then waits to
      // write). What it checks does not depend on the way.
      env: loadEnv({
        MEDIC_HUB_DATABASE_URL: await freshDatabase(),
        MEDIC_PORT: '0',
        MEDIC_HUB_BUDGET_OPTIMISTIC: '0',
      }),
      logger: createLogger('silent'),
    });
    token = await createAgentToken(hub.database.db, 'n1', 'n1', 0);
    client = new BudgetClient({ hubUrl: hub.url, token, clock: systemClock });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const q = async <T>(text: string, values: unknown[] = []) =>
    (await hub.database.pool.query(text, values)).rows as T[];
  /** Hub transactions waiting for a lock (the group's row, held by the test). */
  const blocked = async () =>
    Number(
      (
        await q<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
      )[0]!.n,
    );
  const expiredCount = async () =>
    (await hub.metrics.registry.getSingleMetric('medic_budget_lease_requests_expired_total')!.get()).values[0]
      ?.value ?? 0;

  /** Creates `group`'s row (one lease, ended) and holds its row lock until `release()`. */
  async function lockGroup(group: string): Promise<{ release(): Promise<void> }> {
    const warm = await client.request(
      group,
      LIMITS,
      { id: `n1/warm/${group}`, service: 'warm', operator: false },
      5000,
    );
    expect(warm.type).toBe('budget_granted');
    expect(await client.finish(`n1/warm/${group}`, 5000)).toBe(true);
    const c: pg.PoolClient = await hub.database.pool.connect();
    await c.query('BEGIN');
    await c.query('SELECT 1 FROM budget_groups WHERE name = $1 FOR UPDATE', [group]);
    return {
      async release() {
        await c.query('COMMIT');
        c.release();
      },
    };
  }

  const ask = (group: string, service: string, id = `n1/${service}/1`) =>
    client.request(group, LIMITS, { id, service, operator: false }, TIMEOUT_MS);
  const openLeases = (group: string) =>
    q<{ id: string; granted_at: string }>(
      'SELECT id, granted_at FROM budget_leases WHERE "group" = $1 AND ended_at IS NULL ORDER BY id',
      [group],
    );

  it('does not arbitrate a queued request whose agent gave up; the late grants come back by id', async () => {
    const group = 'gave-up';
    const lock = await lockGroup(group);
    const before = await expiredCount();
    // s1 and s2 fill the replica's two lanes (each waits for the lock in PostgreSQL), s3–s6 queue.
    const answers = [ask(group, 's1')];
    await until(async () => (await blocked()) >= 1, 5000, 's1 blocked on the lock');
    answers.push(ask(group, 's2'));
    await until(async () => (await blocked()) >= 2, 5000, 's2 blocked on the lock');
    for (const s of ['s3', 's4', 's5', 's6']) answers.push(ask(group, s));
    const got = await Promise.all(answers);
    // Every agent gave up (its timeout), whatever the hub does next.
    expect(got.map((a) => a.type)).toEqual(Array(6).fill('budget_unreachable'));
    // The hub's arrival times may lag the sends on a loaded machine (one event loop here): a
    // second more and every queued request's deadline (arrival + 950 ms) has surely passed.
    await new Promise((r) => setTimeout(r, 1000));
    await lock.release();
    await until(async () => (await expiredCount()) - before >= 4, 5000, 'four expired requests counted');
    // Only the two batches that began before their agents' deadline granted anything.
    await new Promise((r) => setTimeout(r, 300));
    const late = await openLeases(group);
    expect(late.map((l) => l.id)).toEqual(['n1/s1/1', 'n1/s2/1']);
    expect((await expiredCount()) - before).toBe(4);

    // The agents ask again with the same ids: the late grants are theirs, the rest granted once.
    const again = await Promise.all(['s1', 's2', 's3', 's4', 's5', 's6'].map((s) => ask(group, s)));
    expect(again.map((a) => (a.type === 'budget_granted' ? a.leaseId : a.type))).toEqual(
      ['s1', 's2', 's3', 's4', 's5', 's6'].map((s) => `n1/${s}/1`),
    );
    const leases = await openLeases(group);
    expect(leases).toHaveLength(6);
    const grantedAt = new Map(leases.map((l) => [l.id, l.granted_at]));
    for (const l of late) expect(grantedAt.get(l.id)).toBe(l.granted_at); // the same lease, not a new one
  }, 30_000);

  it('answers LEASE_REQUEST_EXPIRED to an agent still listening; an old agent (no header) is arbitrated however late; a bad header is refused', async () => {
    const group = 'old-agents';
    const lock = await lockGroup(group);
    const post = (id: string, headers: Record<string, string>) =>
      fetch(new URL(LEASE_PATH, hub.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ group, limits: LIMITS, id, service: id, operator: false }),
      });
    const first = ask(group, 'a1');
    await until(async () => (await blocked()) >= 1, 5000, 'a1 blocked');
    const second = ask(group, 'a2');
    await until(async () => (await blocked()) >= 2, 5000, 'a2 blocked');
    // Queued behind them: one that says it waits 400 ms but listens on, one without the header.
    const listening = post('new', { [WAIT_HEADER]: '400' });
    const old = post('old', {});
    await new Promise((r) => setTimeout(r, 1200));
    await lock.release();
    const res = await listening;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LEASE_REQUEST_EXPIRED');
    const oldRes = await old;
    expect(oldRes.status).toBe(200);
    expect(((await oldRes.json()) as { granted: boolean }).granted).toBe(true);
    await Promise.all([first, second]);
    expect((await openLeases(group)).map((l) => l.id)).toEqual(['n1/a1/1', 'n1/a2/1', 'old']);

    for (const bad of ['soon', '-5', '60001', '1.5']) {
      const r = await post(`bad-${bad}`, { [WAIT_HEADER]: bad });
      expect(r.status, bad).toBe(400);
    }
  }, 30_000);

  it("sends the previous version's body (a hub before the header accepts it) and the wait as a header", async () => {
    const { createServer } = await import('node:http');
    const seen: { body: unknown; wait: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ body: JSON.parse(Buffer.concat(chunks).toString()), wait: req.headers[WAIT_HEADER] });
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"code":"HUB_UNAVAILABLE"}}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const c = new BudgetClient({ hubUrl: `http://127.0.0.1:${port}`, token, clock: systemClock });
    await c.request('g', LIMITS, { id: 'n1/x/1', service: 'x', operator: false }, 1234);
    await new Promise((r) => server.close(r));
    expect(seen[0]!.wait).toBe('1234');
    // The lease request's strict schema is unchanged: the body of an agent of this version is one
    // a hub of the previous version validates.
    expect(leaseRequestSchema.safeParse(seen[0]!.body).success).toBe(true);
  });

  const service = (name: string, onHubUnreachable: 'wait' | 'local') => ({
    name,
    unit: `${name}.service`,
    policy: {
      ...DEFAULT_POLICY,
      startupGraceSec: 5,
      budget: { group: `port-${onHubUnreachable}`, ...LIMITS, onHubUnreachable, timeoutMs: TIMEOUT_MS },
    },
  });
  const port = () =>
    createAgentBudget({
      hubUrl: hub.url,
      token,
      node: 'n1',
      clock: systemClock,
      logger: createLogger('silent'),
    });

  it('onHubUnreachable wait: the agent asks again with the same id and gets the late grant back', async () => {
    const svc = service('api', 'wait');
    const lock = await lockGroup(svc.policy.budget.group);
    const agent = port();
    const first = await agent.request(svc, false);
    expect(first.type).toBe('budget_unreachable');
    await lock.release();
    const [late] = await until(
      async () => {
        const rows = await openLeases(svc.policy.budget.group);
        return rows.length > 0 && rows;
      },
      5000,
      'the late grant',
    );
    const again = await agent.request(svc, false);
    expect(again).toMatchObject({ type: 'budget_granted', leaseId: late!.id });
    expect(await openLeases(svc.policy.budget.group)).toEqual([late]);
  }, 30_000);

  it('onHubUnreachable local: the agent ends the late grant it will never ask for again', async () => {
    const svc = service('api', 'local');
    const group = svc.policy.budget.group;
    const lock = await lockGroup(group);
    const agent = port();
    const t0 = Date.now();
    expect((await agent.request(svc, false)).type).toBe('budget_unreachable');
    await lock.release();
    const [late] = await until(
      async () => {
        const rows = await openLeases(group);
        return rows.length > 0 && rows;
      },
      5000,
      'the late grant',
    );
    // Ended by the agent a few timeouts later, not left in flight for the lease's TTL (60 s).
    const ended = await until(
      async () =>
        (
          await q<{ ended_at: string | null }>('SELECT ended_at FROM budget_leases WHERE id = $1', [late!.id])
        )[0]?.ended_at,
      (RELEASE_AFTER_TIMEOUTS + 3) * TIMEOUT_MS,
      'the late grant ended by the agent',
    );
    expect(Number(ended) - t0).toBeGreaterThanOrEqual(RELEASE_AFTER_TIMEOUTS * TIMEOUT_MS);
    // The next request is a fresh one (the ended id would be refused as spent).
    const next = await agent.request(svc, false);
    expect(next.type).toBe('budget_granted');
    if (next.type === 'budget_granted') expect(next.leaseId).not.toBe(late!.id);
  }, 30_000);
});
