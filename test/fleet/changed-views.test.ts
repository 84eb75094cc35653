/**
 * Changed views only (issue 15): the agent's shipper sends a service view when it changed since
 * the hub confirmed it, and every view at the handshake, after a failed round, after a 409 GAP and
 * periodically. Against a real hub on real PostgreSQL, through a recording proxy (loopback HTTP)
 * that sees each batch and can refuse one: an unchanged view stays fresh at the hub for longer
 * than the silence limit while its node reports (a watcher on another node judges it known);
 * the node going dark turns it stale; a hub that lost the views (its rows deleted and its cursor
 * set back: 409 GAP; a failed round; a restart on an empty database) gets them all again.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Shipper } from '../../src/agent/shipper.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { judgeRemote } from '../../src/core/dependency.js';
import type { ServiceView } from '../../src/core/view.js';
import type { RemoteState } from '../../src/fleet/protocol.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import { waitFor } from '../helpers/systemd.js';
import { event } from '../store/helpers.js';
import { tempDir } from '../watchdog/helpers.js';
import { freshDatabase, skipPg } from './pg.js';

const SILENCE_MS = 1_000;

/** A view as the shipper sees it (only name, unit and state matter to the hub's columns). */
const view = (name: string, tag: string) =>
  ({ name, unit: `${name}.service`, state: { tag } }) as unknown as ServiceView;

interface Seen {
  node: string;
  services: string[];
}

describe.skipIf(skipPg)('changed views only (real hub on PostgreSQL, recording proxy)', () => {
  let hub: RunningHub | null = null;
  let proxy: Server | null = null;
  const shippers: Shipper[] = [];
  const closers: (() => void)[] = [];
  afterAll(async () => {
    for (const s of shippers) await s.stop();
    for (const close of closers) close();
    await new Promise((r) => proxy?.close(r));
    await hub?.close().catch(() => {});
  });

  it('sends changed views only, keeps unchanged ones fresh while the node reports, and sends them all again when the hub may have lost them', async () => {
    const start = (url: string, port = '0') =>
      startHub({
        env: loadEnv({
          MEDIC_HUB_DATABASE_URL: url,
          MEDIC_PORT: port,
          MEDIC_HUB_SILENCE_SEC: String(SILENCE_MS / 1000),
        }),
        logger: createLogger('silent'),
      });
    hub = await start(await freshDatabase());
    const hubPort = new URL(hub.url).port;
    const tokenA = await createHubToken(hub.database.db, 'agent-a', 'agent', 'node-a', Date.now());
    const tokenB = await createHubToken(hub.database.db, 'agent-b', 'agent', 'node-b', Date.now());

    // The proxy records what each batch carried; `refuse` answers the next batch of node-a 503.
    const seen: Seen[] = [];
    let refuse = false;
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const batch = JSON.parse(body.toString('utf8')) as { node: string; services: { name: string }[] };
        if (batch.node === 'node-a' && refuse) {
          refuse = false;
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'HUB_UNAVAILABLE', message: 'test' } }));
          return;
        }
        seen.push({ node: batch.node, services: batch.services.map((s) => s.name).sort() });
        try {
          const answer = await fetch(`http://127.0.0.1:${hubPort}${req.url}`, {
            method: 'POST',
            headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' },
            body,
          });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(await answer.text());
        } catch {
          res.writeHead(502);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

    let views = [view('web', 'healthy'), view('db', 'healthy')];
    const shipper = (node: string, token: string, more: Partial<ConstructorParameters<typeof Shipper>[0]>) =>
      new Shipper({
        hubUrl: proxyUrl,
        token,
        node,
        version: 'test',
        readEvents: () => ({ json: Buffer.from('[]'), count: 0 }),
        views: () => [],
        clock: systemClock,
        logger: createLogger('silent'),
        intervalMs: 100,
        maxBackoffMs: 100,
        ...more,
      });
    // node-a ships real events from a real store: its cursor is ahead of a hub set back to 0.
    const store = openStore(join(tempDir('changed-views'), 'medic.db'));
    for (let i = 0; i < 5; i++)
      store.appendEvent(event({ at: Date.now(), service: 'web', reason: `event ${i}` }));
    const a = shipper('node-a', tokenA, {
      views: () => views,
      readEvents: (after, first) => store.shippedEventsAfter(after, first),
      storeId: () => store.storeId(),
    });
    closers.push(() => store.close());
    let remote: RemoteState[] = [];
    let heardAt = 0;
    const b = shipper('node-b', tokenB, {
      watch: () => ['node-a/web'],
      onRemote: (r) => {
        remote = r;
        heardAt = Date.now();
      },
    });
    shippers.push(a, b);
    const ofA = () => seen.filter((s) => s.node === 'node-a');
    const stored = async () =>
      (
        await hub!.database.pool.query<{ name: string; state: string }>(
          "SELECT name, state FROM fleet_services WHERE node = 'node-a' ORDER BY name",
        )
      ).rows;
    a.start();
    b.start();

    // The handshake and the first batch carry every view; later batches none (nothing changed).
    await waitFor(async () => ofA().length >= 6, 10_000, 20);
    expect(ofA()[0]!.services).toEqual(['db', 'web']);
    expect(
      ofA()
        .slice(2)
        .every((s) => s.services.length === 0),
    ).toBe(true);
    expect(await stored()).toEqual([
      { name: 'db', state: 'healthy' },
      { name: 'web', state: 'healthy' },
    ]);

    // Unchanged for longer than the silence limit, web is still known at node-b: node-a reports.
    const sent = ofA().length;
    await new Promise((r) => setTimeout(r, 2.5 * SILENCE_MS));
    expect(
      ofA()
        .slice(sent)
        .every((s) => s.services.length === 0),
    ).toBe(true);
    const fresh = remote.find((r) => r.id === 'node-a/web');
    expect(judgeRemote(fresh && { ...fresh, state: fresh.state as never }, Date.now() - heardAt)).toEqual({
      known: true,
      state: { tag: 'healthy' },
    });

    // A change: only that view goes, and the hub has it.
    views = [view('web', 'healthy'), view('db', 'cooldown')];
    await waitFor(async () => ofA().some((s) => s.services.join() === 'db'), 5_000, 20);
    expect(ofA().every((s) => !s.services.includes('web') || s === ofA()[0] || s === ofA()[1])).toBe(true);
    await waitFor(
      async () => (await stored()).some((r) => r.name === 'db' && r.state === 'cooldown'),
      5_000,
      20,
    );

    // The hub's rows lost and its cursor set back (an older copy): 409 GAP, then every view again.
    const gapAt = ofA().length;
    await hub.database.pool.query("DELETE FROM fleet_services WHERE node = 'node-a'");
    await hub.database.pool.query("UPDATE nodes SET cursor = 0 WHERE name = 'node-a'");
    await waitFor(async () => (await stored()).length === 2, 5_000, 20);
    expect(await stored()).toEqual([
      { name: 'db', state: 'cooldown' },
      { name: 'web', state: 'healthy' },
    ]);
    expect(
      ofA()
        .slice(gapAt)
        .some((s) => s.services.join() === 'db,web'),
    ).toBe(true);
    const events = await hub.database.pool.query(
      "SELECT count(*)::int AS n FROM fleet_events WHERE node = 'node-a'",
    );
    expect(events.rows[0].n).toBe(5);

    // A failed round (the hub answered 503): the next batch carries every view again.
    const failAt = ofA().length;
    refuse = true;
    await waitFor(async () => ofA().length > failAt + 2, 5_000, 20);
    expect(ofA()[failAt]!.services).toEqual(['db', 'web']);
    expect(
      ofA()
        .slice(failAt + 1)
        .every((s) => s.services.length === 0),
    ).toBe(true);

    // The hub restarted on the same port on an EMPTY database: the agent's views arrive there.
    const { rows: tokens } = await hub.database.pool.query(
      'SELECT name, role, node, hash, created_at FROM agent_tokens',
    );
    await hub.close();
    hub = await start(await freshDatabase(), hubPort);
    for (const t of tokens)
      await hub.database.pool.query(
        'INSERT INTO agent_tokens (name, role, node, hash, created_at) VALUES ($1, $2, $3, $4, $5)',
        Object.values(t),
      );
    await waitFor(async () => (await stored()).length === 2, 10_000, 50);

    // Every view again periodically (fullViewsEveryMs), changed or not.
    const c = shipper(
      'node-c',
      await createHubToken(hub.database.db, 'agent-c', 'agent', 'node-c', Date.now()),
      {
        views: () => [view('web', 'healthy')],
        fullViewsEveryMs: 400,
        intervalMs: 50,
      },
    );
    shippers.push(c);
    c.start();
    await new Promise((r) => setTimeout(r, 1_500));
    await c.stop();
    const ofC = seen.filter((x) => x.node === 'node-c');
    const full = ofC.filter((x) => x.services.length === 1).length;
    expect(full).toBeGreaterThanOrEqual(3);
    expect(ofC.length - full).toBeGreaterThan(full);

    // node-a goes dark: web turns stale at node-b once the silence limit has passed.
    await a.stop();
    await waitFor(
      async () => {
        const r = remote.find((x) => x.id === 'node-a/web');
        return judgeRemote(r && { ...r, state: r.state as never }, Date.now() - heardAt).known === false;
      },
      5_000,
      50,
    );
  }, 60_000);
});
