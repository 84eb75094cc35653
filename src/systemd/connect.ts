/**
 * A short-lived connection to the systemd manager for one-shot work (`medic contract check`,
 * `contract init`, a drift check when the watchdog holds no D-Bus connection): the same
 * address choice as detection (`managerRoute`, scope.ts), closed when the work is done.
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../clock/clock.js';
import type { Clock } from '../core/clock.js';
import { DbusUnavailable, SystemdConnection } from './connection.js';
import { readUnitProperties, type UnitPropertyReader } from './properties.js';
import { type ManagerRoute, managerRoute, type Scope, SYSTEM_PRIVATE_SOCKET } from './scope.js';

export interface ManagerAddress {
  scope: Scope;
  /** XDG_RUNTIME_DIR (scope user). */
  runtimeDir?: string;
  /** An explicit bus address (`unix:path=…`), e.g. MEDIC_DBUS_ADDRESS; `none` = D-Bus off. */
  busAddress?: string;
}

/** `managerRoute` for this process (its uid, whether the system manager's private socket exists). */
export function routeFor(where: ManagerAddress): ManagerRoute {
  return managerRoute(where.scope, {
    busAddress: where.busAddress,
    runtimeDir: where.runtimeDir,
    uid: process.getuid?.() ?? 0,
    systemPrivateSocket: where.scope === 'system' && existsSync(SYSTEM_PRIVATE_SOCKET),
  });
}

/**
 * Runs `fn` with a fresh connection to the manager; rejects with DbusUnavailable when there is
 * none. One-shot work needs D-Bus: with MEDIC_DBUS_ADDRESS=none it uses the scope's default
 * address (what systemctl would use) rather than fail.
 */
export async function withManager<T>(
  where: ManagerAddress,
  fn: (conn: SystemdConnection) => Promise<T>,
  clock: Clock = systemClock,
): Promise<T> {
  const route = routeFor({
    ...where,
    busAddress: where.busAddress === 'none' ? undefined : where.busAddress,
  });
  const address = route.address as string;
  // A socket that is not there fails now, not after the call timeout (a start without a manager
  // would otherwise wait for it).
  const path = /^unix:path=([^,;]+)/.exec(address)?.[1];
  if (path && !existsSync(path)) throw new DbusUnavailable(`no D-Bus socket at ${path}`);
  const conn = await SystemdConnection.open({ address }, 10_000, clock);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** A reader that opens a connection for each read (for callers that hold none). */
export function oneShotReader(where: ManagerAddress): UnitPropertyReader {
  return (units) => withManager(where, (conn) => readUnitProperties(conn, units));
}
