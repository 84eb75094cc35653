/**
 * Never blind while ready: the bus daemon stops delivering a unit's signals (its match rule is
 * removed under medic — the daemon then drops them without any error, exactly the failure of
 * issue 20), the unit crashes, and the periodic verification finds the change: logged, counted in
 * medic_missed_signals_total, decided at once. After MAX_MISSED_SIGNALS detection polls and
 * /readyz says so.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServe } from '../../src/serve/serve.js';
import { unitMatch, unitObjectPath } from '../../src/systemd/connection.js';
import { DbusMonitor } from '../../src/watchdog/dbus/monitor.js';
import { MAX_MISSED_SIGNALS } from '../../src/watchdog/watchdog.js';
import {
  busDaemonAddress,
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
const NAMES = ['a', 'b', 'c'] as const;

describeSystemd('missed signals through the bus daemon', () => {
  // Only a bus daemon can drop signals (a direct peer gets every one); transports() fails in CI without it.
  if (!transports().some((t) => t.name === 'bus daemon')) return;
  const dir = tempDir('missed');
  const units = Object.fromEntries(NAMES.map((n) => [n, uniqueUnit(`missed-${n}`)])) as Record<
    (typeof NAMES)[number],
    string
  >;
  const trigger = (n: string) => join(dir, `${n}.trigger`);
  let server: Server;

  const readyz = async () => (await (await fetch(`${server.url}/readyz`)).json()) as Record<string, unknown>;
  const exited = (n: string) => eventsOf(server, n).filter((e) => e.input?.type === 'exited');
  const missedMetric = async (n: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = new RegExp(`^medic_missed_signals_total\\{service="${n}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  beforeAll(async () => {
    for (const n of NAMES) {
      await installUnit(
        units[n],
        `[Service]\nExecStart=/bin/sh -c 'while [ ! -e ${trigger(n)} ]; do sleep 0.05; done; rm -f ${trigger(n)}; exit 3'\n`,
      );
    }
    const contract = writeContract({
      dir,
      services: NAMES.map((n) => ({
        name: n,
        unit: units[n],
        command: ['/bin/sh', '-c', 'true'],
        policy: FAST_POLICY,
      })),
    });
    for (const n of NAMES) await systemctl('start', units[n]);
    server = await serveInProcess(contract, dir, {
      MEDIC_DBUS_ADDRESS: busDaemonAddress!,
      MEDIC_VERIFY_INTERVAL_MS: '300',
      // The state probe must not be what finds the crash.
      MEDIC_STATE_PROBE_INTERVAL_MS: '600000',
    });
    // The daemon stops routing these units' signals to medic, without telling anyone.
    const monitor = server.watchdog.monitor() as DbusMonitor;
    expect(monitor).toBeInstanceOf(DbusMonitor);
    for (const n of NAMES) await monitor.conn.removeMatch(unitMatch(unitObjectPath(units[n])));
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(NAMES.map((n) => removeUnit(units[n])));
  });

  it('finds a crash no signal reported, decides it at once, logs and counts it', async () => {
    expect(await readyz()).toMatchObject({ ready: true, detection: 'dbus' });
    writeFileSync(trigger('a'), '');
    await waitFor(() => exited('a').length > 0, 5000, 20);
    expect(exited('a').map((e) => [e.input, e.decision])).toEqual([[{ type: 'exited', code: 3 }, 'restart']]);
    expect(await missedMetric('a')).toBe(1);
    expect(server.logs.filter((l) => String(l.msg).startsWith('missed signal')).map((l) => l.unit)).toEqual([
      units.a,
    ]);
    // One miss: D-Bus still runs (the restart's own changes are found the same way).
    expect(await readyz()).toMatchObject({ ready: true, detection: 'dbus' });
  });

  it(`falls back to polling after ${MAX_MISSED_SIGNALS} missed signals, and /readyz says so`, async () => {
    writeFileSync(trigger('b'), '');
    writeFileSync(trigger('c'), '');
    const r = await waitFor(async () => {
      const x = await readyz();
      return x.detection === 'polling' ? x : null;
    }, 10_000);
    expect(r.ready).toBe(true);
    expect((r.reasons as string[]).join(' ')).toMatch(/missed \d+ signals.*polling systemctl show/);
    await waitFor(() => exited('b').length > 0 && exited('c').length > 0, 5000, 20);
    expect(exited('b').map((e) => e.input)).toEqual([{ type: 'exited', code: 3 }]);
    expect(exited('c').map((e) => e.input)).toEqual([{ type: 'exited', code: 3 }]);
  });
});
