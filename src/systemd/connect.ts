/**
 * A short-lived connection to the systemd manager for one-shot work (`medic contract check`,
 * `contract init`, a drift check when the watchdog holds no D-Bus connection): the same
 * address choice as detection (private socket for scope user, private socket or system bus for
 * scope system), closed when the work is done.
 */
import { existsSync } from 'node:fs';
import { busTarget, DbusUnavailable, type Scope, SystemdConnection } from './connection.js';
import { readUnitProperties, type UnitPropertyReader } from './properties.js';

export interface ManagerAddress {
  scope: Scope;
  /** XDG_RUNTIME_DIR (scope user). */
  runtimeDir?: string;
  /** An explicit bus address (`unix:path=…`), e.g. MEDIC_DBUS_ADDRESS; `none` is ignored here. */
  busAddress?: string;
}

/** Runs `fn` with a fresh connection to the manager; rejects with DbusUnavailable when there is none. */
export async function withManager<T>(
  where: ManagerAddress,
  fn: (conn: SystemdConnection) => Promise<T>,
): Promise<T> {
  const target =
    where.busAddress && where.busAddress !== 'none'
      ? { address: where.busAddress }
      : busTarget(where.scope, where.runtimeDir);
  // A socket that is not there fails now, not after the call timeout (a start without a manager
  // would otherwise wait for it).
  const path = /^unix:path=([^,;]+)/.exec(target.address)?.[1];
  if (path && !existsSync(path)) throw new DbusUnavailable(`no D-Bus socket at ${path}`);
  const conn = await SystemdConnection.open(target, 10_000);
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
