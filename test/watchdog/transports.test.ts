/**
 * Issue 20's reproduction, for both transports: `medic serve` pointed at the manager's private
 * socket or at the bus daemon the manager is registered on (MEDIC_DBUS_ADDRESS), a unit that
 * crashes, and the decision. Through the bus daemon medic used to say `ready, detection: dbus`
 * and then decide nothing: without match rules the daemon delivers none of systemd's signals.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServe } from '../../src/serve/serve.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import { eventsOf, FAST_POLICY, serveInProcess, tempDir, writeContract } from './helpers.js';

type Server = RunningServe & { logs: Record<string, unknown>[] };

describeSystemd('a crash is decided through either transport', () => {
  for (const transport of transports()) {
    describe(`via the ${transport.name}`, () => {
      const dir = tempDir('transport');
      const unit = uniqueUnit('transport');
      const trigger = join(dir, 'crash.trigger');
      let server: Server;

      beforeAll(async () => {
        await installUnit(
          unit,
          `[Service]\nExecStart=/bin/sh -c 'while [ ! -e ${trigger} ]; do sleep 0.05; done; rm -f ${trigger}; exit 3'\n`,
        );
        const contract = writeContract({
          dir,
          services: [{ name: 'svc', unit, command: ['/bin/sh', '-c', 'true'], policy: FAST_POLICY }],
        });
        await systemctl('start', unit);
        // The state probe at its production interval: it must not be what catches the crash.
        server = await serveInProcess(contract, dir, {
          MEDIC_DBUS_ADDRESS: transport.address,
          MEDIC_STATE_PROBE_INTERVAL_MS: '10000',
        });
      });
      afterAll(async () => {
        await server?.close();
        await removeUnit(unit);
      });

      it('is ready with D-Bus detection and restarts the crashed unit within 2 s', async () => {
        const ready = (await (await fetch(`${server.url}/readyz`)).json()) as Record<string, unknown>;
        expect(ready).toMatchObject({ ready: true, detection: 'dbus' });
        writeFileSync(trigger, '');
        const crashedAt = Date.now();
        await waitFor(() => eventsOf(server, 'svc').some((e) => e.input?.type === 'exited'), 2000, 20);
        expect(Date.now() - crashedAt).toBeLessThan(2000);
        const exited = eventsOf(server, 'svc').filter((e) => e.input?.type === 'exited');
        expect(exited.map((e) => [e.input, e.decision])).toEqual([[{ type: 'exited', code: 3 }, 'restart']]);
      });
    });
  }
});
