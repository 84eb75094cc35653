import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServe } from '../../src/serve/serve.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  showUnit,
  systemctl,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import {
  countLines,
  eventsOf,
  FAST_POLICY,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from './helpers.js';

describeSystemd('a crash-looping unit under maxRestarts 3 (Restart=no)', () => {
  for (const transport of transports())
    describe(`via the ${transport.name}`, () => {
      const unit = uniqueUnit('storm');
      const dir = tempDir('storm');
      const starts = join(dir, 'starts');
      let server: RunningServe & { logs: Record<string, unknown>[] };

      beforeAll(async () => {
        await installUnit(unit, `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts}; sleep 1; exit 3'\n`);
        const contract = writeContract({
          dir,
          services: [{ name: 'storm', unit, command: ['python', '-c', 'pass'], policy: FAST_POLICY }],
        });
        server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: transport.address });
        await systemctl('start', unit);
      });
      afterAll(async () => {
        await server?.close();
        await removeUnit(unit);
      });

      it('restarts exactly 3 times, then opens the circuit and stops the unit', async () => {
        await waitFor(() => server.engine.view('storm')?.state.tag === 'circuit_open', 30_000, 50);
        await server.engine.idle();
        await sleep(1500);
        const events = eventsOf(server, 'storm');
        const decided = events.filter((e) => e.kind === 'restart_decided');
        expect(decided).toHaveLength(3);
        expect(events.filter((e) => e.kind === 'circuit_opened')).toHaveLength(1);
        expect(events.filter((e) => e.kind === 'hard_stop' && e.taken)).toHaveLength(1);
        // 1 start by the test + 3 restarts by medic, nothing more.
        expect(countLines(starts)).toBe(4);
        expect((await showUnit(unit, ['ActiveState'])).ActiveState).not.toBe('active');
        for (const e of events.filter((e) => e.decision !== null)) expect(e.reason).toBeTruthy();
        console.log(events.map((e) => `${e.kind} ${e.decision} ${e.input?.type} ${e.reason}`).join('\n'));
      });
    });
});
