/**
 * Reads the units that match glob patterns from the live systemd manager over D-Bus:
 * `ListUnitsByPatterns` (loaded units) and `ListUnitFilesByPatterns` (installed but not loaded)
 * name them — systemd does the glob matching, with its own fnmatch rules — then `LoadUnit` and
 * one `GetAll` per interface (Unit, Service) give the properties contract init needs.
 *
 * A minimal reader of its own, over the watchdog's `SystemdConnection`.
 */
import { posix } from 'node:path';
import { PROPS_IFACE, SYSTEMD_DEST, SystemdConnection } from '../../watchdog/dbus/connection.js';
import { SERVICE_IFACE, UNIT_IFACE } from '../../watchdog/dbus/units.js';
import { detectionTarget } from '../../watchdog/detection.js';
import type { UnitProperties } from './types.js';

interface Variant {
  value: unknown;
}

const str = (v: Variant | undefined) => (typeof v?.value === 'string' ? v.value : '');

/** `a(sasbttttuii)` → the path and argv of each command. */
function execOf(v: Variant | undefined): UnitProperties['execStart'] {
  if (!Array.isArray(v?.value)) return [];
  return (v.value as unknown[][]).map((c) => ({ path: String(c[0]), argv: (c[1] as string[]).map(String) }));
}

function toProperties(
  name: string,
  unit: Record<string, Variant>,
  svc: Record<string, Variant>,
): UnitProperties {
  const files = Array.isArray(svc.EnvironmentFiles?.value)
    ? (svc.EnvironmentFiles.value as [string, boolean][])
    : [];
  return {
    name: str(unit.Id) || name,
    loadState: str(unit.LoadState),
    fragmentPath: str(unit.FragmentPath),
    execStart: execOf(svc.ExecStart),
    environment: Array.isArray(svc.Environment?.value) ? (svc.Environment.value as string[]) : [],
    environmentFiles: files.map(([path, optional]) => ({ path, optional: Boolean(optional) })),
    workingDirectory: str(svc.WorkingDirectory),
    user: str(svc.User),
  };
}

export interface ReadUnitsOptions {
  scope: 'system' | 'user';
  runtimeDir?: string;
  /** MEDIC_DBUS_ADDRESS: a bus address override. */
  busAddress?: string;
}

export class UnitReadError extends Error {
  readonly code = 'UNITS_UNREADABLE';
}

/** Names of `.service` units matching the patterns, loaded or only installed, sorted. */
async function matchingNames(conn: SystemdConnection, patterns: string[]): Promise<string[]> {
  const [loaded] = (await conn.callManager('ListUnitsByPatterns', 'asas', [[], patterns])) as [unknown[][]];
  const [files] = (await conn.callManager('ListUnitFilesByPatterns', 'asas', [[], patterns])) as [
    unknown[][],
  ];
  const names = new Set<string>();
  for (const row of loaded ?? []) names.add(String(row[0]));
  for (const row of files ?? []) names.add(posix.basename(String(row[0])));
  return [...names].filter((n) => n.endsWith('.service')).sort();
}

export async function readUnits(patterns: string[], opts: ReadUnitsOptions): Promise<UnitProperties[]> {
  const target = detectionTarget({
    scope: opts.scope,
    runtimeDir: opts.runtimeDir,
    busAddress: opts.busAddress,
  });
  if (!target) throw new UnitReadError('MEDIC_DBUS_ADDRESS=none: contract init reads units over D-Bus');
  let conn: SystemdConnection;
  try {
    conn = await SystemdConnection.open(target, 5000);
  } catch (err) {
    throw new UnitReadError(`cannot reach the systemd ${opts.scope} manager: ${(err as Error).message}`);
  }
  try {
    const names = await matchingNames(conn, patterns);
    const out: UnitProperties[] = [];
    for (const name of names) {
      if (name.includes('@.')) {
        out.push({ ...emptyUnit(name), loadState: 'template' });
        continue;
      }
      const [path] = (await conn.callManager('LoadUnit', 's', [name])) as [string];
      const get = async (iface: string) =>
        (
          (await conn.call(SYSTEMD_DEST, path, PROPS_IFACE, 'GetAll', 's', [iface])) as [
            Record<string, Variant>,
          ]
        )[0];
      const unit = await get(UNIT_IFACE);
      const svc = str(unit.LoadState) === 'loaded' ? await get(SERVICE_IFACE) : {};
      out.push(toProperties(name, unit, svc));
    }
    // Aliases load the same unit: keep each unit once, under its primary name.
    return out.filter((u, i) => out.findIndex((o) => o.name === u.name) === i);
  } finally {
    conn.close();
  }
}

function emptyUnit(name: string): UnitProperties {
  return {
    name,
    loadState: '',
    fragmentPath: '',
    execStart: [],
    environment: [],
    environmentFiles: [],
    workingDirectory: '',
    user: '',
  };
}
