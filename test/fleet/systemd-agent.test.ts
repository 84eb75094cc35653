/**
 * An agent under the real systemd user manager (scripts/with-systemd.sh) ships a real crash: a
 * unit that exits 3 is detected over D-Bus, restarted through systemd, and the agent's crash
 * and restart decisions reach the hub (real PostgreSQL) with the service's view.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import { medicChild, tempDir, writeContract } from '../watchdog/helpers.js';
import { FLEET_POLICY } from './agent-process.js';
import { freshDatabase, skipPg } from './pg.js';

const policy = FLEET_POLICY;

describeSystemd('an agent under real systemd shipping to the hub', () => {
  const unit = uniqueUnit('fleet-crash');
  let hub: RunningHub | null = null;
  const children: ReturnType<typeof medicChild>[] = [];
  beforeAll(async () => {
    await installUnit(unit, "[Service]\nExecStart=/bin/sh -c 'sleep 0.5; exit 3'\n");
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
    await removeUnit(unit);
  });

  it.skipIf(skipPg)(
    'a crash of a systemd unit is visible at the hub',
    async () => {
      hub = await startHub({
        env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0' }),
        logger: createLogger('silent'),
      });
      const token = await createHubToken(hub.database.db, 'agent-sd', 'agent', 'node-sd', Date.now());
      const dir = tempDir('fleet-systemd');
      const contract = writeContract({
        dir,
        services: [{ name: 'crashy', unit, command: ['python', '-c', 'pass'], policy }],
      });
      const agent = medicChild(['serve', '--contract', contract], {
        MEDIC_DB: join(dir, 'medic.db'),
        MEDIC_PORT: '0',
        LOG_LEVEL: 'info',
        MEDIC_STATE_PROBE_INTERVAL_MS: '300',
        MEDIC_DRIFT_INTERVAL_SEC: '3600',
        MEDIC_HUB_URL: hub.url,
        MEDIC_HUB_TOKEN: token,
        MEDIC_NODE_NAME: 'node-sd',
        MEDIC_HUB_SHIP_INTERVAL_MS: '200',
      });
      children.push(agent);
      await waitFor(() => agent.output().includes('watching 1 service'), 30_000, 50);
      await systemctl('start', unit);
      // The exit reaches the hub as the agent decided it, and so does systemd restarting the unit for medic.
      const exited = async () =>
        (
          await hub!.database.pool.query(
            "SELECT event FROM fleet_events WHERE node = 'node-sd' AND service = 'crashy' AND event->'input'->>'type' = 'exited'",
          )
        ).rowCount ?? 0;
      await waitFor(async () => (await exited()) >= 1, 30_000, 100).catch((err) => {
        throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
      });
      // ... and the restart medic decided for it (carried out by systemd: a restart intent).
      const restarts = async () =>
        (
          await hub!.database.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM fleet_events WHERE node = 'node-sd' AND service = 'crashy' AND event->>'decision' = 'restart'",
          )
        ).rows[0]!.n;
      await waitFor(async () => (await restarts()) >= 1, 30_000, 100);
      const view = await hub.database.pool.query(
        "SELECT state FROM fleet_services WHERE node = 'node-sd' AND name = 'crashy'",
      );
      expect(view.rowCount).toBe(1);
    },
    120_000,
  );
});
