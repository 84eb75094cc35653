/**
 * The units that match glob patterns, read from the live systemd manager over D-Bus:
 * `ListUnitsByPatterns` (loaded units) and `ListUnitFilesByPatterns` (installed, not loaded)
 * name them — systemd matches the globs with its own fnmatch rules — and the bulk reader
 * (src/systemd/properties.ts, one `ListUnitsByNames` + pipelined `GetAll`) reads them, all on
 * one short-lived connection. Templates (`x@.service`) are not units: they are returned with
 * an empty load state, and init says why they are left out.
 */
import { posix } from 'node:path';
import { MANAGER_IFACE, MANAGER_PATH, SYSTEMD_DEST } from '../../systemd/bus.js';
import { type ManagerAddress, withManager } from '../../systemd/connect.js';
import type { SystemdConnection } from '../../systemd/connection.js';
import { readUnitProperties } from '../../systemd/properties.js';
import type { UnitProperties } from './types.js';

export class UnitReadError extends Error {
  readonly code = 'UNITS_UNREADABLE';
}

/** Names of `.service` units matching the patterns, loaded or only installed, sorted. */
async function matchingNames(conn: SystemdConnection, patterns: string[]): Promise<string[]> {
  const call = (member: string) =>
    conn.call(SYSTEMD_DEST, MANAGER_PATH, MANAGER_IFACE, member, 'asas', [[], patterns]) as Promise<
      [unknown[][]]
    >;
  const [[loaded], [files]] = await Promise.all([
    call('ListUnitsByPatterns'),
    call('ListUnitFilesByPatterns'),
  ]);
  const names = new Set<string>();
  for (const row of loaded ?? []) names.add(String(row[0]));
  for (const row of files ?? []) names.add(posix.basename(String(row[0])));
  return [...names].filter((n) => n.endsWith('.service')).sort();
}

const template = (id: string): UnitProperties => ({
  id,
  loadState: '',
  fragmentPath: '',
  execStart: [],
  environment: [],
  environmentFiles: [],
  workingDirectory: '',
  workingDirectoryOptional: false,
  user: '',
});

export async function readUnits(patterns: string[], where: ManagerAddress): Promise<UnitProperties[]> {
  if (where.busAddress === 'none')
    throw new UnitReadError('MEDIC_DBUS_ADDRESS=none: contract init reads units over D-Bus');
  try {
    return await withManager(where, async (conn) => {
      const names = await matchingNames(conn, patterns);
      const units = names.filter((n) => !n.includes('@.'));
      const props = await readUnitProperties(conn, units);
      const out: UnitProperties[] = names.map((n) => props.get(n) ?? template(n));
      // An alias and its unit are one unit: keep it once, under its primary name.
      return out.filter((u, i) => out.findIndex((o) => o.id === u.id) === i);
    });
  } catch (err) {
    throw new UnitReadError(
      `cannot read units from the systemd ${where.scope} manager: ${(err as Error).message}`,
    );
  }
}
