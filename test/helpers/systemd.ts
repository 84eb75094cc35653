/**
 * Access to the real systemd user manager that scripts/with-systemd.sh starts for the test run.
 *
 * `describeSystemd` runs its body only when the manager is there. Otherwise it skips with the
 * reason -- or, when MEDIC_REQUIRE_SYSTEMD=1 (CI), registers a failing test instead, so a CI
 * machine that lost its systemd cannot pass by skipping.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';

const run = promisify(execFile);

export const systemdAvailable = process.env.MEDIC_TEST_SYSTEMD === '1';
export const systemdSkipReason =
  process.env.MEDIC_TEST_SYSTEMD_SKIP ?? 'not started through scripts/with-systemd.sh (npm test does that)';
const required = process.env.MEDIC_REQUIRE_SYSTEMD === '1';

export function describeSystemd(name: string, body: () => void): void {
  if (systemdAvailable) {
    describe(name, body);
  } else if (required) {
    describe(name, () => {
      it('needs a real systemd user manager (MEDIC_REQUIRE_SYSTEMD=1)', () => {
        throw new Error(`systemd user manager unavailable: ${systemdSkipReason}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${systemdSkipReason}]`, body);
  }
}

/** Where user units go; the manager was started with this XDG_CONFIG_HOME. */
export function userUnitDir(): string {
  return join(process.env.XDG_CONFIG_HOME ?? '/nonexistent', 'systemd', 'user');
}

/** The manager's private socket (a direct peer, no bus daemon in between). */
export function privateSocket(): string {
  return join(process.env.XDG_RUNTIME_DIR ?? '/run/user/0', 'systemd', 'private');
}

/**
 * The bus daemon the manager is registered on (scripts/with-systemd.sh bus mode), or null.
 * CI (MEDIC_REQUIRE_SYSTEMD=1) needs it: `transports()` then fails instead of leaving it out.
 */
export const busDaemonAddress: string | null = process.env.MEDIC_TEST_BUS_ADDRESS ?? null;
const busSkipReason =
  process.env.MEDIC_TEST_BUS_SKIP ?? 'MEDIC_TEST_BUS_ADDRESS not set (scripts/with-systemd.sh sets it)';

/** A way to reach the manager: its private socket, or through the bus daemon. */
export interface Transport {
  name: 'private socket' | 'bus daemon';
  /** `unix:path=...` for MEDIC_DBUS_ADDRESS / openDetection's busAddress. */
  address: string;
}

/**
 * Both transports the watchdog's D-Bus tests run against. Without a bus daemon the bus entry is
 * left out with a skipped test saying why -- or, under MEDIC_REQUIRE_SYSTEMD=1, a failing one.
 */
export function transports(): Transport[] {
  const list: Transport[] = [{ name: 'private socket', address: `unix:path=${privateSocket()}` }];
  if (busDaemonAddress) list.push({ name: 'bus daemon', address: busDaemonAddress });
  else if (systemdAvailable && required)
    describe('via the bus daemon', () => {
      it('needs a bus daemon with the manager on it (MEDIC_REQUIRE_SYSTEMD=1)', () => {
        throw new Error(`bus daemon unavailable: ${busSkipReason}`);
      });
    });
  else describe.skip(`via the bus daemon [skipped: ${busSkipReason}]`, () => {});
  return list;
}

/**
 * Waits until the manager owns org.freedesktop.systemd1 on the bus daemon (no-op without one).
 * After a `daemon-reexec` it takes a while (seen: 0.1–1.5 s under load) to register again; a
 * medic started through the bus meanwhile rightly polls — a test that means to start on D-Bus
 * waits for this precondition first.
 */
export async function managerOnBus(timeoutMs = 15_000): Promise<void> {
  if (!busDaemonAddress) return;
  const address = busDaemonAddress;
  await waitFor(
    () =>
      run('busctl', [
        `--address=${address}`,
        'call',
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'GetNameOwner',
        's',
        'org.freedesktop.systemd1',
      ]).then(
        () => true,
        () => false,
      ),
    timeoutMs,
    50,
  );
}

/** `systemctl --user ARGS` via execFile; resolves with stdout, rejects on non-zero exit. */
export async function systemctl(...args: string[]): Promise<string> {
  const { stdout } = await run('systemctl', ['--user', ...args]);
  return stdout;
}

/** A unit name no other test uses: `<prefix>-<random>.service`. */
export function uniqueUnit(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}.service`;
}

/** Writes a unit file and reloads the manager. */
export async function installUnit(name: string, content: string): Promise<string> {
  await mkdir(userUnitDir(), { recursive: true });
  const path = join(userUnitDir(), name);
  await writeFile(path, content);
  await systemctl('daemon-reload');
  return path;
}

/** Stops the unit (ignoring errors), removes its file and drop-ins, reloads. */
export async function removeUnit(name: string): Promise<void> {
  await systemctl('stop', name).catch(() => {});
  await systemctl('reset-failed', name).catch(() => {});
  await rm(join(userUnitDir(), name), { force: true });
  await rm(join(userUnitDir(), `${name}.d`), { recursive: true, force: true });
  await systemctl('daemon-reload');
}

/** `systemctl show -p` as a record. */
export async function showUnit(name: string, props: string[]): Promise<Record<string, string>> {
  const out = await systemctl('show', name, '-p', props.join(','));
  const result: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) result[line.slice(0, i)] = line.slice(i + 1);
  }
  return result;
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
