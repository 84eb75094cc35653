/**
 * `npm run demo:fleet` (scripts/demo-fleet.ts) against the test PostgreSQL: one hub and three
 * agents come up, all three connected; the operator token it prints holds a service on a node
 * from the hub (run by that agent); it stops cleanly after MEDIC_DEMO_DURATION_SEC.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { waitFor } from '../helpers/systemd.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

it.skipIf(skipPg)(
  'demo:fleet brings up a hub and three agents, and a hold from the hub works',
  async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(PACKAGE_ROOT, 'scripts', 'demo-fleet.ts')],
      {
        env: {
          ...process.env,
          MEDIC_HUB_DATABASE_URL: await freshDatabase(),
          MEDIC_DEMO_HUB_PORT: '0',
          MEDIC_DEMO_DURATION_SEC: '25',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      // The operator's line is written after the hub's, and may come in a later chunk of stderr.
      const ready = () => out.includes('3 agents connected') && /operator\s+medic_\S+\n/.test(out);
      await waitFor(ready, 90_000, 100).catch((err) => {
        throw new Error(`${err.message}\n${out}`);
      });
      const hub = /hub\s+(http:\/\/[0-9.:]+)/.exec(out)![1]!;
      const operator = /operator\s+(medic_\S+)/.exec(out)![1]!;
      const held = await gql(
        hub,
        operator,
        'mutation { holdService(node: "demo-2", name: "worker", ttlSec: 300, reason: "demo test") { __typename ... on Service { node state } } }',
      );
      expect(held.data.holdService).toEqual({ __typename: 'Service', node: 'demo-2', state: 'held' });
      expect(await exited).toBe(0);
      expect(out).toContain('demo:fleet: stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  },
  150_000,
);
