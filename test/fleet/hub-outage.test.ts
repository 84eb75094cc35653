/**
 * The hub process killed for 60 s during a crash storm (issue 15): two real `medic serve` agents
 * (process backend, two services each crashing about once a second) ship to a real `medic hub`
 * process; the hub is SIGKILLed, stays dead for 60 s while the agents keep deciding locally (their
 * logs grow by more than a batch), then starts again on the same port. After catch-up the hub's
 * events equal the agents' events exactly: the same (node, event id) pairs — no gap, no
 * duplicate — with the same content (the whole audit event as the agent's store holds it).
 *
 * Long on purpose (~100 s); it runs in `npm test` like every other test file.
 */
import { createServer } from 'node:net';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { events } from '../../db/schema.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { toAuditEvent } from '../../src/store/events.js';
import { waitFor } from '../helpers/systemd.js';
import { medicChild, sleep } from '../watchdog/helpers.js';
import { type AgentProcess, startAgent } from './agent-process.js';
import { freshDatabase, skipPg } from './pg.js';

const OUTAGE_MS = 60_000;

const policy = {
  failureThreshold: 1,
  startupGraceSec: 0.5,
  cooldownSec: 0.5,
  maxRestarts: 400,
  windowSec: 900,
  backoff: { initialSec: 0.5, factor: 1, maxSec: 0.5 },
  stableSec: 60,
  circuit: { openSec: 600, maxOpenSec: 1200, hardStop: false },
};
const crasher = (name: string) => ({
  name,
  python: 'import time, sys; time.sleep(0.2); sys.exit(3)',
  policy,
});

/** Every audit event of an agent's SQLite store, as the store reads it (what the shipper ships). */
function agentLog(path: string): Record<string, unknown>[] {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = drizzle(sqlite).select().from(events).orderBy(events.id).all();
    // Through JSON, as on the wire.
    return rows.map((r) => JSON.parse(JSON.stringify(toAuditEvent(r))) as Record<string, unknown>);
  } finally {
    sqlite.close();
  }
}

const lastId = (path: string) => (agentLog(path).at(-1)?.id as number | undefined) ?? 0;

async function hubLog(database: HubDatabase, node: string) {
  const { rows } = await database.pool.query<{ id: string; event: Record<string, unknown> }>(
    'SELECT event_id AS id, event FROM fleet_events WHERE node = $1 ORDER BY event_id',
    [node],
  );
  return rows.map((r) => ({ id: Number(r.id), event: r.event }));
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe.skipIf(skipPg)(
  'the hub killed for 60 s during a crash storm (real processes, real PostgreSQL)',
  () => {
    const children: ReturnType<typeof medicChild>[] = [];
    let database: HubDatabase | null = null;
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await database?.close();
    });

    it('catches up to exactly the agents’ events: same (node, event id) pairs, same content', async () => {
      const url = await freshDatabase();
      database = openHubDatabase(url);
      await migrateHub(database.pool);
      const port = await freePort();
      const hubUrl = `http://127.0.0.1:${port}`;
      const hubEnv = { MEDIC_HUB_DATABASE_URL: url, MEDIC_HOST: '127.0.0.1', MEDIC_PORT: String(port) };
      const startHubProcess = async () => {
        const hub = medicChild(['hub'], { ...hubEnv, LOG_LEVEL: 'info' });
        children.push(hub);
        await waitFor(() => hub.output().includes('medic hub serving on'), 30_000, 50).catch((err) => {
          throw new Error(`${err.message}\n${hub.output()}`);
        });
        return hub;
      };
      let hub = await startHubProcess();

      const nodes = ['storm-a', 'storm-b'];
      const agents: (AgentProcess & { node: string })[] = [];
      for (const node of nodes) {
        const token = await createAgentToken(database.db, `agent-${node}`, node, Date.now());
        const agent = startAgent({
          hubUrl,
          token,
          node,
          service: crasher('crash-1'),
          more: [crasher('crash-2')],
        });
        children.push(agent.child);
        agents.push({ ...agent, node });
      }

      // The storm reaches the hub from both agents.
      for (const a of agents) {
        await waitFor(
          async () =>
            (await hubLog(database!, a.node)).filter((e) => e.event.kind === 'restart_executed').length >= 2,
          45_000,
          200,
        ).catch((err) => {
          throw new Error(`${err.message}\n${a.child.output().slice(-3000)}`);
        });
      }

      // The hub process dies (no goodbye) and stays dead for 60 s; the agents keep deciding.
      hub.kill('SIGKILL');
      await new Promise<void>((r) =>
        hub.exitCode !== null || hub.signalCode !== null ? r() : hub.once('exit', () => r()),
      );
      const atKill = agents.map((a) => lastId(a.db));
      await expect(fetch(`${hubUrl}/healthz`)).rejects.toThrow();
      await sleep(OUTAGE_MS);
      for (const [i, a] of agents.entries()) {
        // More than a full batch (200) of events was decided while the hub was away.
        expect(lastId(a.db) - atKill[i]!).toBeGreaterThan(200);
        expect(a.child.exitCode).toBeNull();
        expect(a.child.output()).toContain('cannot ship to the hub');
      }

      // The hub comes back on the same address; the agents resume from its cursor.
      hub = await startHubProcess();
      for (const a of agents) {
        const target = lastId(a.db);
        await waitFor(
          async () => ((await hubLog(database!, a.node)).at(-1)?.id ?? 0) >= target,
          60_000,
          200,
        ).catch((err) => {
          throw new Error(`${err.message}\n${a.child.output().slice(-3000)}`);
        });
        expect(a.child.output()).toContain('hub reachable again');
      }

      // Exactly the agents' events: keyed by (node, event id), compared whole.
      for (const a of agents) {
        const atHub = await hubLog(database, a.node);
        const cursor = atHub.at(-1)!.id;
        const local = agentLog(a.db).filter((e) => (e.id as number) <= cursor);
        expect(atHub.map((e) => `${a.node}/${e.id}`)).toEqual(local.map((e) => `${a.node}/${e.id}`));
        expect(atHub.map((e) => e.event)).toEqual(local);
        // The catch-up covered the whole outage and the storm kept going.
        expect(cursor).toBeGreaterThan(atKill[agents.indexOf(a)]! + 200);
      }
      const nodeRows = await database.pool.query<{ name: string; cursor: string }>(
        'SELECT name, cursor FROM nodes ORDER BY name',
      );
      expect(nodeRows.rows.map((r) => r.name)).toEqual(nodes);
      const total = await database.pool.query<{ n: string; distinct: string }>(
        "SELECT count(*) AS n, count(DISTINCT node || '/' || event_id) AS distinct FROM fleet_events",
      );
      expect(Number(total.rows[0]!.n)).toBe(Number(total.rows[0]!.distinct));
    }, 240_000);
  },
);
