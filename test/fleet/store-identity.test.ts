/**
 * Store identity in batches (issue 15): an agent whose SQLite store is lost and recreated restarts
 * its event ids at 1; the batch names its store, so the hub numbers the new store's events after
 * the old store's (hub event id = offset + agent id) instead of taking them for re-sends of the
 * old ones. Audited once (`store_changed`); a batch from the replaced store is refused
 * (STORE_CHANGED); agents that send no store are taken as before. Protocol level on an
 * in-process hub, then with real `medic serve` agents (a second agent process on a new store).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { events } from '../../db/schema.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { toAuditEvent } from '../../src/store/events.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { batch, ship } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const ev = (id: number, kind = 'observation') => ({ id, at: 1000 + id, service: 'api', kind });
const STORE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STORE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const policy = { ...FLEET_POLICY, windowSec: 300 };

function agentLog(path: string): Record<string, unknown>[] {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return drizzle(sqlite)
      .select()
      .from(events)
      .orderBy(events.id)
      .all()
      .map((r) => JSON.parse(JSON.stringify(toAuditEvent(r))) as Record<string, unknown>);
  } finally {
    sqlite.close();
  }
}

describe.skipIf(skipPg)('store identity in batches (real PostgreSQL)', () => {
  const hubs: RunningHub[] = [];
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const h of hubs) await h.close().catch(() => {});
  });

  const start = async () => {
    const hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    hubs.push(hub);
    return hub;
  };
  const rows = async (hub: RunningHub, node: string) =>
    (
      await hub.database.pool.query<{ id: string; agent_id: string; kind: string }>(
        "SELECT event_id AS id, event->>'id' AS agent_id, kind FROM fleet_events WHERE node = $1 ORDER BY event_id",
        [node],
      )
    ).rows.map((r) => [Number(r.id), Number(r.agent_id)]);
  const storeChanges = async (hub: RunningHub) =>
    (
      await hub.database.pool.query<{ data: Record<string, unknown> }>(
        "SELECT data FROM hub_events WHERE kind = 'store_changed' ORDER BY id",
      )
    ).rows.map((r) => r.data);

  it('numbers a new store’s events after the old store’s, once audited; refuses the old store after', async () => {
    const hub = await start();
    const token = await createAgentToken(hub.database.db, 'agent-a', 'node-a', Date.now());
    const withStore = (store: string, after: number | null, evs: unknown[] = []) => ({
      ...batch('node-a', after, evs),
      store,
    });
    expect((await ship(hub.url, token, withStore(STORE_A, null))).body.cursor).toBe(0);
    expect((await ship(hub.url, token, withStore(STORE_A, 0, [ev(1), ev(2), ev(3)]))).body.cursor).toBe(3);

    // The store is recreated: same node, new store, ids from 1 again.
    const hello = await ship(hub.url, token, withStore(STORE_B, null));
    expect(hello).toEqual({ status: 200, body: { cursor: 0, commands: [] } });
    const next = await ship(hub.url, token, withStore(STORE_B, 0, [ev(1, 'restart_decided'), ev(2)]));
    expect(next.body.cursor).toBe(2);
    // Nothing was taken for a duplicate: five events, the new store's after the old store's.
    expect(await rows(hub, 'node-a')).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 1],
      [5, 2],
    ]);
    expect(await storeChanges(hub)).toEqual([{ from: STORE_A, to: STORE_B, idOffset: 3, version: 'test' }]);
    // A re-sent batch of the new store is still a no-op; its handshake again changes nothing.
    expect(
      (await ship(hub.url, token, withStore(STORE_B, 0, [ev(1, 'restart_decided'), ev(2)]))).body.cursor,
    ).toBe(2);
    expect((await ship(hub.url, token, withStore(STORE_B, null))).body.cursor).toBe(2);
    expect(await storeChanges(hub)).toHaveLength(1);

    // The old store (a second agent with the same node name) is refused, writing nothing.
    const stale = await ship(hub.url, token, withStore(STORE_A, 3, [ev(4)]));
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('STORE_CHANGED');
    expect(stale.body.error?.message).toMatch(/second agent/);
    expect(await rows(hub, 'node-a')).toHaveLength(5);

    // An agent that sends no store identity is taken as before (ids as they come).
    const legacy = await createAgentToken(hub.database.db, 'agent-old', 'node-old', Date.now());
    expect((await ship(hub.url, legacy, batch('node-old', null))).body.cursor).toBe(0);
    expect((await ship(hub.url, legacy, batch('node-old', 0, [ev(1)]))).body.cursor).toBe(1);
  });

  it('renumbers after a store restored from an older copy (same identity, fewer events), once audited', async () => {
    const hub = await start();
    const token = await createAgentToken(hub.database.db, 'agent-b', 'node-b', Date.now());
    const send = (after: number | null, evs: unknown[] = [], newest?: number) =>
      ship(hub.url, token, {
        ...batch('node-b', after, evs),
        store: STORE_A,
        ...(newest === undefined ? {} : { newest }),
      });
    expect((await send(null, [], 0)).body.cursor).toBe(0);
    expect((await send(0, [ev(1), ev(2), ev(3), ev(4), ev(5)])).body.cursor).toBe(5);
    // A normal restart says its newest (5): nothing changes.
    expect((await send(null, [], 5)).body.cursor).toBe(5);
    // The file is replaced by a copy holding events 1..3: its next ids 4, 5 are new events.
    expect((await send(null, [], 3)).body.cursor).toBe(3);
    expect((await send(3, [ev(4, 'restart_decided'), ev(5, 'restart_decided')])).body.cursor).toBe(5);
    expect(await rows(hub, 'node-b')).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 4],
      [7, 5],
    ]);
    const restored = await hub.database.pool.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM hub_events WHERE kind = 'store_restored' AND node = 'node-b'",
    );
    expect(restored.rows.map((r) => r.data)).toEqual([
      { store: STORE_A, hubHeld: 5, newest: 3, idOffset: 2, version: 'test' },
    ]);
    // The next start of that store says 5 again: no second renumbering; re-sends stay no-ops.
    expect((await send(null, [], 5)).body.cursor).toBe(5);
    expect((await send(3, [ev(4, 'restart_decided'), ev(5, 'restart_decided')])).body.cursor).toBe(5);
    expect(await rows(hub, 'node-b')).toHaveLength(7);
    const again = await hub.database.pool.query("SELECT 1 FROM hub_events WHERE kind = 'store_restored'");
    expect(again.rowCount).toBe(1);
    // `newest` counts on a handshake only (a batch with `after` set never renumbers).
    expect((await send(5, [ev(6)], 1)).body.cursor).toBe(6);
    expect(await rows(hub, 'node-b')).toHaveLength(8);
  });

  it('a real agent on a recreated store ships its new events next to the old ones, none lost', async () => {
    const hub = await start();
    const token = await createAgentToken(hub.database.db, 'agent-r', 'node-r', Date.now());
    const spec = {
      hubUrl: hub.url,
      token,
      node: 'node-r',
      service: { name: 'crasher', python: 'import time, sys; time.sleep(0.3); sys.exit(3)', policy },
    };
    const shippedAll = async (db: string, offset: number) => {
      const last = agentLog(db).at(-1)!.id as number;
      return (await rows(hub, 'node-r')).some(([id]) => id === offset + last);
    };
    // The first store: some crashes reach the hub; the agent stops.
    const first = startAgent(spec);
    children.push(first.child);
    await waitFor(async () => (await rows(hub, 'node-r')).length >= 8, 30_000, 100).catch((err) => {
      throw new Error(`${err.message}\n${first.child.output().slice(-3000)}`);
    });
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
    const firstLog = agentLog(first.db);
    // Catch up on the shutdown events too (a new agent on the same store would ship them).
    const held = (await rows(hub, 'node-r')).length;
    expect(held).toBeLessThanOrEqual(firstLog.length);

    // A new store (a fresh SQLite file) for the same node: its ids start at 1 again.
    const second = startAgent(spec);
    children.push(second.child);
    await waitFor(async () => (await rows(hub, 'node-r')).length >= held + 8, 30_000, 100).catch((err) => {
      throw new Error(`${err.message}\n${second.child.output().slice(-3000)}`);
    });
    await waitFor(() => shippedAll(second.db, held), 30_000, 100);
    const atHub = await hub.database.pool.query<{ id: string; event: Record<string, unknown> }>(
      'SELECT event_id AS id, event FROM fleet_events WHERE node = $1 ORDER BY event_id',
      ['node-r'],
    );
    const hubEvents = atHub.rows.map((r) => ({ id: Number(r.id), event: r.event }));
    // The old store's events as they were (ids 1..held), then the new store's from hub id held+1.
    expect(hubEvents.slice(0, held).map((e) => e.event)).toEqual(firstLog.slice(0, held));
    const secondLog = agentLog(second.db);
    const fresh = hubEvents.slice(held);
    expect(fresh.map((e) => e.id)).toEqual(fresh.map((_, i) => held + 1 + i));
    expect(fresh.map((e) => e.event)).toEqual(secondLog.slice(0, fresh.length));
    expect(secondLog[0]!.id).toBe(1);
    expect((await storeChanges(hub)).map((d) => d.idOffset)).toEqual([held]);
  }, 120_000);

  it('a real agent restarted on a backup of its store ships its new events after the hub’s, none lost', async () => {
    const hub = await start();
    const token = await createAgentToken(hub.database.db, 'agent-k', 'node-k', Date.now());
    const dir = mkdtempSync(join(tmpdir(), 'medic-restore-'));
    const db = join(dir, 'medic.db');
    const spec = {
      hubUrl: hub.url,
      token,
      node: 'node-k',
      service: { name: 'crasher', python: 'import time, sys; time.sleep(0.3); sys.exit(3)', policy },
      env: { MEDIC_DB: db },
    };
    const run = async (until: () => Promise<boolean>) => {
      const agent = startAgent(spec);
      children.push(agent.child);
      await waitFor(until, 30_000, 100).catch((err) => {
        throw new Error(`${err.message}\n${agent.child.output().slice(-3000)}`);
      });
      agent.child.kill('SIGTERM');
      await new Promise((r) => agent.child.once('exit', r));
    };
    const count = async () => (await rows(hub, 'node-k')).length;
    const shippedAll = async (offset: number) =>
      (await rows(hub, 'node-k')).some(([id]) => id === offset + (agentLog(db).at(-1)!.id as number));
    // Run 1, then the backup (a clean shutdown leaves everything in the main file).
    await run(async () => (await count()) >= 6);
    copyFileSync(db, `${db}.bak`);
    const backupNewest = agentLog(db).at(-1)!.id as number;
    // Run 2 ships more; then the file is replaced by the backup.
    await run(async () => (await count()) >= backupNewest + 8 && (await shippedAll(0)));
    const hubHeld = await count();
    expect(hubHeld).toBeGreaterThan(backupNewest);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    copyFileSync(`${db}.bak`, db);
    // Run 3 on the restored copy: its next ids (backupNewest + 1 ...) are new events.
    const offset = hubHeld - backupNewest;
    await run(async () => (await count()) >= hubHeld + 6 && (await shippedAll(offset)));
    const atHub = await hub.database.pool.query<{ id: string; event: Record<string, unknown> }>(
      'SELECT event_id AS id, event FROM fleet_events WHERE node = $1 AND event_id > $2 ORDER BY event_id',
      ['node-k', hubHeld],
    );
    const log = agentLog(db);
    // Every event the restored store wrote is at the hub, in order, right after the hub's cursor.
    expect(atHub.rows.map((r) => Number(r.id))).toEqual(atHub.rows.map((_, i) => hubHeld + 1 + i));
    expect(atHub.rows.map((r) => r.event)).toEqual(log.slice(backupNewest));
    const restored = await hub.database.pool.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM hub_events WHERE kind = 'store_restored' AND node = 'node-k'",
    );
    expect(restored.rows.map((r) => r.data)).toEqual([
      expect.objectContaining({ hubHeld, newest: backupNewest, idOffset: offset }),
    ]);
  }, 150_000);
});
