/**
 * Getting D-Bus detection back, over both transports: a real connection loss (`systemctl --user
 * daemon-reexec` drops every connection to the manager's private socket; through the bus daemon
 * the connection stays but `org.freedesktop.systemd1` changes owner), a bus daemon restarted under
 * medic, and a manager that appears after medic started. Readiness goes polling → dbus, the
 * units are re-read, and no crash is lost or reported twice across the switch.
 *
 * daemon-reexec re-executes the one manager every test file shares: its listening socket
 * survives (systemctl calls just wait), but other files' D-Bus connections drop too — the
 * watchdog under test in those files reconnects the same way.
 */
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServe } from '../../src/serve/serve.js';
import { DbusMonitor } from '../../src/watchdog/dbus/monitor.js';
import {
  describeSystemd,
  installUnit,
  managerOnBus,
  removeUnit,
  systemctl,
  type Transport,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import { eventsOf, FAST_POLICY, serveInProcess, sleep, tempDir, writeContract } from './helpers.js';

type Server = RunningServe & { logs: Record<string, unknown>[] };

/** A unit that runs until its trigger file appears, then removes it and exits 3 (once per trigger). */
const triggered = (trigger: string) =>
  `[Service]\nExecStart=/bin/sh -c 'while [ ! -e ${trigger} ]; do sleep 0.05; done; rm -f ${trigger}; exit 3'\n`;

async function detection(server: Server): Promise<{ detection: string; reasons: string[] }> {
  const res = await fetch(`${server.url}/readyz`);
  return (await res.json()) as { detection: string; reasons: string[] };
}

const exits = (server: Server, service: string) =>
  eventsOf(server, service).filter((e) => e.input?.type === 'exited');

/** Detection path named in the watchdog's log line for each observation of `unit`. */
const observedVia = (server: Server, unit: string) =>
  server.logs
    .filter(
      (l) => l.msg === 'observation' && l.unit === unit && (l.input as { type: string }).type === 'exited',
    )
    .map((l) => l.detection);

function setup(name: string, extraEnv: (dir: string) => Record<string, string>) {
  const dir = tempDir(name);
  const units = { during: uniqueUnit(`${name}-during`), after: uniqueUnit(`${name}-after`) };
  const trigger = (k: keyof typeof units) => join(dir, `${k}.trigger`);
  const ctx = { dir, units, trigger, server: null as unknown as Server };
  beforeAll(async () => {
    for (const k of ['during', 'after'] as const) await installUnit(units[k], triggered(trigger(k)));
    const contract = writeContract({
      dir,
      services: (['during', 'after'] as const).map((k) => ({
        name: k,
        unit: units[k],
        command: ['/bin/sh', '-c', 'true'],
        policy: 'fast',
      })),
      policies: { fast: FAST_POLICY },
    });
    for (const k of ['during', 'after'] as const) await systemctl('start', units[k]);
    // The test before may have re-executed the manager: start on D-Bus, not while it re-registers.
    await managerOnBus();
    ctx.server = await serveInProcess(contract, dir, extraEnv(dir));
  });
  afterAll(async () => {
    await ctx.server?.close();
    await Promise.all(Object.values(units).map((u) => removeUnit(u)));
  });
  return ctx;
}

/** After the switch to D-Bus: a crash is detected via D-Bus exactly once, with its exit code. */
async function crashAfterReconnect(ctx: ReturnType<typeof setup>): Promise<void> {
  writeFileSync(ctx.trigger('after'), '');
  await waitFor(() => exits(ctx.server, 'after').length > 0, 10_000, 50);
  await waitFor(
    () => eventsOf(ctx.server, 'after').some((e) => e.decision === 'restart_succeeded'),
    10_000,
    50,
  );
  await sleep(500);
  expect(exits(ctx.server, 'after').map((e) => e.input)).toEqual([{ type: 'exited', code: 3 }]);
  expect(observedVia(ctx.server, ctx.units.after)).toEqual(['dbus']);
}

/**
 * `disrupt` takes the manager (or the bus) away under a serving medic: detection must fall back
 * to polling, come back to D-Bus on a new connection, and count a crash in between once.
 */
async function lostAndBack(ctx: ReturnType<typeof setup>, disrupt: () => Promise<unknown>, lost: RegExp) {
  const { server } = ctx;
  expect((await detection(server)).detection).toBe('dbus');
  const before = server.watchdog.monitor() as DbusMonitor;
  await disrupt();
  const polling = await waitFor(async () => {
    const r = await detection(server);
    return r.detection === 'polling' ? r : null;
  }, 5000);
  expect(polling.reasons.join(' ')).toMatch(lost);

  // A crash while polling: reported once overall, whichever path sees it first.
  writeFileSync(ctx.trigger('during'), '');
  const back = await waitFor(async () => {
    const r = await detection(server);
    return r.detection === 'dbus' && r.reasons.length === 0 ? r : null;
  }, 10_000);
  expect(back.reasons).toEqual([]);
  const after = server.watchdog.monitor();
  expect(after).toBeInstanceOf(DbusMonitor);
  expect((after as DbusMonitor).conn).not.toBe(before.conn);
  expect((after as DbusMonitor).conn.closed).toBeNull();
  expect(server.logs.some((l) => String(l.msg).includes('D-Bus reconnected'))).toBe(true);

  await waitFor(() => !existsSync(ctx.trigger('during')) && exits(server, 'during').length > 0, 10_000, 50);
  await sleep(800);
  expect(exits(server, 'during').map((e) => e.input)).toEqual([{ type: 'exited', code: 3 }]);

  await crashAfterReconnect(ctx);
}

const socketOf = (t: Transport) => t.address.replace(/^unix:path=/, '');

describeSystemd('D-Bus detection comes back after a real connection loss', () => {
  for (const transport of transports()) {
    describe(`via the ${transport.name}`, () => {
      const ctx = setup('reexec', () => ({ MEDIC_DBUS_ADDRESS: transport.address }));
      it('polls while the manager re-executes, then reports dbus again and loses no crash', () =>
        lostAndBack(
          ctx,
          () => systemctl('daemon-reexec'),
          transport.name === 'bus daemon'
            ? /org\.freedesktop\.systemd1 (left the bus|changed owner)/
            : /D-Bus connection lost/,
        ));
    });
    if (transport.name === 'bus daemon') {
      describe('when the bus daemon restarts', () => {
        const ctx = setup('busrestart', () => ({ MEDIC_DBUS_ADDRESS: transport.address }));
        it('polls while the bus daemon is away, then reports dbus again and loses no crash', () =>
          lostAndBack(ctx, () => systemctl('restart', 'dbus.service'), /D-Bus connection lost/));
      });
    }
  }
});

describeSystemd('D-Bus detection starts once the manager is reachable', () => {
  for (const transport of transports())
    describe(`via the ${transport.name}`, () => {
      // The bus address points at a path with no socket yet; the test then links it to the manager.
      const ctx = setup('late', (dir) => ({ MEDIC_DBUS_ADDRESS: `unix:path=${join(dir, 'bus')}` }));

      it('polls while the socket is missing, switches to dbus when it appears, and loses no crash', async () => {
        const { server } = ctx;
        const first = await detection(server);
        expect(first.detection).toBe('polling');
        expect(first.reasons.join(' ')).toMatch(/D-Bus unavailable/);

        // A crash seen by polling must not be reported again when D-Bus re-reads the unit.
        writeFileSync(ctx.trigger('during'), '');
        await waitFor(() => exits(server, 'during').length > 0, 10_000, 50);
        expect(observedVia(server, ctx.units.during)).toEqual(['polling']);

        symlinkSync(socketOf(transport), join(ctx.dir, 'bus'));
        const back = await waitFor(async () => {
          const r = await detection(server);
          return r.detection === 'dbus' && r.reasons.length === 0 ? r : null;
        }, 10_000);
        expect(back.reasons).toEqual([]);
        await sleep(500);
        expect(exits(server, 'during').map((e) => e.input)).toEqual([{ type: 'exited', code: 3 }]);

        await crashAfterReconnect(ctx);
      });
    });
});
