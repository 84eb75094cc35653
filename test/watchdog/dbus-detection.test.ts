import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { SystemdExecutor } from '../../src/executors/systemd.js';
import { SystemdConnection, unitObjectPath } from '../../src/systemd/connection.js';
import type { DbusMonitor } from '../../src/watchdog/dbus/monitor.js';
import { openDetection } from '../../src/watchdog/detection.js';
import type { MonitorSink, UnitMonitor } from '../../src/watchdog/monitor.js';
import type { Observation } from '../../src/watchdog/unit-status.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  showUnit,
  systemctl,
  type Transport,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';

interface Seen {
  unit: string;
  obs: Observation;
  at: number;
}

function recorder(): { sink: MonitorSink; seen: Seen[] } {
  const seen: Seen[] = [];
  return { seen, sink: { observation: (unit, obs) => seen.push({ unit, obs, at: Date.now() }) } };
}

/** D-Bus detection over `transport`, or (null) polling: the bus address leads nowhere. */
async function open(transport: Transport | null, sink: MonitorSink): Promise<UnitMonitor> {
  const { monitor } = await openDetection({
    scope: 'user',
    runtimeDir: process.env.XDG_RUNTIME_DIR,
    busAddress: transport ? transport.address : 'unix:path=/nonexistent/medic-test-bus',
    pollIntervalMs: 100,
    sink,
  });
  return monitor;
}

const paths = [
  ...transports().map((t) => ({ mode: 'dbus' as const, transport: t })),
  { mode: 'polling' as const, transport: null },
];

describeSystemd('detection of unit crashes', () => {
  for (const { mode, transport } of paths) {
    describe(`via ${transport ? `dbus (${transport.name})` : 'polling'}`, () => {
      const crash = uniqueUnit(`crash-${mode}`);
      const auto = uniqueUnit(`auto-${mode}`);
      const clean = uniqueUnit(`clean-${mode}`);
      const { sink, seen } = recorder();
      let monitor: UnitMonitor;

      beforeAll(async () => {
        await installUnit(crash, "[Service]\nExecStart=/bin/sh -c 'sleep 0.3; exit 3'\n");
        await installUnit(
          auto,
          "[Service]\nExecStart=/bin/sh -c 'sleep 0.3; exit 4'\nRestart=on-failure\nRestartSec=200ms\nStartLimitIntervalSec=0\n",
        );
        await installUnit(clean, "[Service]\nExecStart=/bin/sh -c 'sleep 0.3; exit 0'\n");
        monitor = await open(transport, sink);
        expect(monitor.detection).toBe(mode);
        await monitor.start([crash, auto, clean]);
      });
      afterAll(async () => {
        await monitor.stop();
        await Promise.all([removeUnit(crash), removeUnit(auto), removeUnit(clean)]);
      });

      it('reports a crash with its exit code exactly once', async () => {
        await systemctl('start', crash);
        await waitFor(() => seen.some((s) => s.unit === crash));
        await new Promise((r) => setTimeout(r, 400));
        expect(seen.filter((s) => s.unit === crash).map((s) => s.obs.input)).toEqual([
          { type: 'exited', code: 3 },
        ]);
      });

      it("counts systemd's own restarts as external_restart and does not report those exits", async () => {
        await systemctl('start', auto);
        await waitFor(
          () => seen.filter((s) => s.unit === auto && s.obs.input.type === 'external_restart').length >= 2,
        );
        // systemd resets NRestarts on a manual stop: read it first.
        const nRestarts = Number((await showUnit(auto, ['NRestarts'])).NRestarts);
        await systemctl('stop', auto);
        await new Promise((r) => setTimeout(r, 300));
        const inputs = seen.filter((s) => s.unit === auto).map((s) => s.obs.input);
        expect(inputs.every((i) => i.type === 'external_restart')).toBe(true);
        const total = inputs.reduce((n, i) => n + (i.type === 'external_restart' ? i.count : 0), 0);
        // Polling may see the count grow between our read and the stop.
        expect(total).toBeGreaterThanOrEqual(nRestarts);
        expect(total).toBeLessThanOrEqual(nRestarts + 1);
      });

      it('never reports a clean exit as a crash', async () => {
        await systemctl('start', clean);
        if (mode === 'dbus') {
          await waitFor(() => seen.some((s) => s.unit === clean));
        } else {
          // systemd may garbage-collect an inactive unit before the next poll reads its exit.
          await new Promise((r) => setTimeout(r, 800));
        }
        const inputs = seen.filter((s) => s.unit === clean).map((s) => s.obs.input);
        expect(inputs).toEqual(
          mode === 'dbus'
            ? [{ type: 'exited', code: 0 }]
            : inputs.length
              ? [{ type: 'exited', code: 0 }]
              : [],
        );
      });
    });
  }
});

describeSystemd('the systemd executor', () => {
  for (const transport of transports())
    describe(`over the ${transport.name}`, () => {
      const unit = uniqueUnit('exec');
      const { sink, seen } = recorder();
      let monitor: DbusMonitor;
      let executor: SystemdExecutor;
      const svc = { name: 'exec', unit, policy: DEFAULT_POLICY };

      beforeAll(async () => {
        await installUnit(unit, '[Service]\nExecStart=/bin/sleep 300\n');
        monitor = (await open(transport, sink)) as DbusMonitor;
        expect(monitor.conn.viaDaemon).toBe(transport.name === 'bus daemon');
        await monitor.start([unit]);
        executor = new SystemdExecutor({ scope: 'user', dbus: () => monitor.units });
      });
      afterAll(async () => {
        await monitor.stop();
        await removeUnit(unit);
      });

      it('restarts a unit over D-Bus, waits for the job and reports no crash for it', async () => {
        await systemctl('start', unit);
        const before = (await showUnit(unit, ['InvocationID'])).InvocationID;
        const r = await executor.execute(svc, { type: 'restart', initiator: 'auto', probe: false });
        expect(r).toEqual({ ok: true });
        const after = await showUnit(unit, ['InvocationID', 'ActiveState']);
        expect(after.ActiveState).toBe('active');
        expect(after.InvocationID).not.toBe(before);
        await new Promise((r) => setTimeout(r, 200));
        expect(seen).toEqual([]);
      });

      it('stops a unit (hard stop) without reporting an exit', async () => {
        const r = await executor.execute(svc, { type: 'stop', reason: 'hard_stop' });
        expect(r).toEqual({ ok: true });
        expect((await showUnit(unit, ['ActiveState'])).ActiveState).toBe('inactive');
        await new Promise((r) => setTimeout(r, 200));
        expect(seen).toEqual([]);
      });

      it('falls back to systemctl when D-Bus is gone, and reports a failed job', async () => {
        const viaSystemctl = new SystemdExecutor({ scope: 'user', dbus: () => null });
        expect(
          await viaSystemctl.execute(svc, { type: 'restart', initiator: 'forced', probe: false }),
        ).toEqual({
          ok: true,
        });
        expect((await showUnit(unit, ['ActiveState'])).ActiveState).toBe('active');
        const missing = { ...svc, unit: uniqueUnit('missing') };
        const r = await executor.execute(missing, { type: 'restart', initiator: 'auto', probe: false });
        expect(r.ok).toBe(false);
      });

      it('refuses an invalid unit name before calling systemd', async () => {
        const r = await executor.execute(
          { ...svc, unit: '--now.service' },
          { type: 'stop', reason: 'hard_stop' },
        );
        expect(r).toMatchObject({ ok: false });
      });
    });
});

describeSystemd(
  "unit object paths (the bus daemon's match rules are added before systemd names them)",
  () => {
    it("are systemd's own escaping of the unit name", async () => {
      const names = [
        uniqueUnit('plain'),
        'medic-path-test@inst_1.service',
        '9medic-digit.service',
        'medic\\x2dpath.service',
      ];
      const conn = await SystemdConnection.open({ address: transports()[0]!.address });
      try {
        for (const name of names) {
          const [path] = (await conn.callManager('LoadUnit', 's', [name])) as [string];
          expect(unitObjectPath(name)).toBe(path);
        }
      } finally {
        conn.close();
      }
    });
  },
);
