/**
 * The agent's shipper across a restart, against a hub faked at the wire (loopback HTTP) that
 * keeps re-delivering one command (its result never stored): a command id taken by the agent is
 * remembered in the SQLite store, so the shipper of the restarted agent does not run it again and
 * answers ALREADY_TAKEN instead (in memory only, as before, it would run twice). Every batch names
 * the store's identity: stable across a reopen, another one for a new database file.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Shipper } from '../../src/agent/shipper.js';
import { systemClock } from '../../src/clock/clock.js';
import type { CommandResult, FleetCommand } from '../../src/fleet/protocol.js';
import { createLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/store/sqlite.js';
import { waitFor } from '../helpers/systemd.js';
import { tempDir } from '../watchdog/helpers.js';

const command: FleetCommand = {
  id: 7,
  service: 'api',
  operation: 'holdService',
  args: { ttlSec: 60 },
  actor: 'alice',
  role: 'operator',
  reason: 'deploy',
  expiresAt: Date.now() + 600_000,
};

interface Received {
  store?: string;
  results: CommandResult[];
}

describe('the shipper across an agent restart (hub faked at the wire)', () => {
  const received: Received[] = [];
  let server: Server;
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) s.close();
    await new Promise((r) => server?.close(r));
  });

  it('runs a command once across a restart and names its store in every batch', async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as Received);
        res.writeHead(200, { 'content-type': 'application/json' });
        // The hub never stores the result: the command comes in every reply.
        res.end(JSON.stringify({ cursor: 0, commands: [command] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const hubUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const path = join(tempDir('shipper-durable'), 'medic.db');
    let runs = 0;
    const shipper = (store: Store) =>
      new Shipper({
        hubUrl,
        token: 'medic_test_token',
        node: 'node-a',
        version: 'test',
        readEvents: () => ({ json: Buffer.from('[]'), count: 0 }),
        views: () => [],
        clock: systemClock,
        logger: createLogger('silent'),
        intervalMs: 50,
        storeId: () => store.storeId(),
        claimCommand: (c) =>
          store.claimReplay([`hub-command:node-a:${c.id}`], c.expiresAt, Date.now()) === 'new',
        execute: async (c) => {
          runs += 1;
          return {
            id: c.id,
            at: Date.now(),
            ok: true,
            type: 'Service',
            code: null,
            message: null,
            state: 'held',
          };
        },
      });

    // The first life of the agent runs the command once, however often it is re-delivered.
    const store1 = openStore(path, { check: false });
    stores.push(store1);
    const id = store1.storeId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const first = shipper(store1);
    first.start();
    // Its result goes up once; the command keeps coming back in the replies after that.
    await waitFor(
      () => {
        const at = received.findIndex((b) => b.results.length > 0);
        return at >= 0 && received.length >= at + 4;
      },
      10_000,
      20,
    );
    await first.stop();
    expect(runs).toBe(1);
    store1.close();
    stores.length = 0;

    // Restarted (same database): the command comes again and is not run; the hub hears why.
    const seen = received.length;
    const store2 = openStore(path, { check: false });
    stores.push(store2);
    expect(store2.storeId()).toBe(id);
    const second = shipper(store2);
    second.start();
    await waitFor(() => received.slice(seen).some((b) => b.results.length > 0), 10_000, 20);
    await second.stop();
    expect(runs).toBe(1);
    const answer = received.slice(seen).find((b) => b.results.length > 0)!.results[0]!;
    expect(answer).toMatchObject({ id: 7, ok: false, code: 'ALREADY_TAKEN' });
    expect(received.every((b) => b.store === id)).toBe(true);

    // A new database file is another store.
    const other = openStore(join(tempDir('shipper-durable-2'), 'medic.db'), { check: false });
    stores.push(other);
    expect(other.storeId()).not.toBe(id);
  });
});
