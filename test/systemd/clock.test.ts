/**
 * src/systemd times its calls and jobs on medic's one Clock (issue 20): with a simulated clock a
 * job that outlasts its timeout ends as 'timeout' when the clock says so — not after real time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { SystemdConnection } from '../../src/systemd/connection.js';
import { SystemdUnits } from '../../src/systemd/units.js';
import {
  busDaemonAddress,
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  uniqueUnit,
} from '../helpers/systemd.js';

describeSystemd('systemd calls on the Clock', () => {
  const unit = uniqueUnit('clock-job');
  beforeAll(async () => {
    // A start job that stays queued for 30 s (oneshot: the job ends when the process does).
    await installUnit(unit, '[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n');
  });
  afterAll(async () => {
    await systemctl('stop', unit).catch(() => {});
    await removeUnit(unit);
  });

  it("a unit job's timeout fires when the simulated clock reaches it, not before", async () => {
    // Through the bus daemon: its Hello is answered at once (no wait on the simulated clock).
    if (!busDaemonAddress) throw new Error('no bus daemon (MEDIC_TEST_BUS_ADDRESS)');
    const clock = new SimulatedClock();
    const conn = await SystemdConnection.open({ address: busDaemonAddress }, 2000, clock);
    try {
      const units = new SystemdUnits(conn);
      let result: string | null = null;
      const job = units.runJob('StartUnit', unit, 5000).then((r) => {
        result = r;
      });
      const started = Date.now();
      // Queued once the only timer left is the job's own (the StartUnit call's 2 s one is gone).
      while (clock.pending() !== 1 || clock.nextDueIn() !== 5000) {
        if (Date.now() - started > 5000 || result !== null)
          throw new Error(`the job was not queued (${result})`);
        await new Promise((r) => setTimeout(r, 10));
      }
      clock.advance(4999);
      await new Promise((r) => setTimeout(r, 50));
      expect(result).toBeNull();
      clock.advance(1);
      await job;
      expect(result).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      conn.close();
    }
  });
});
