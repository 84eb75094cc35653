/**
 * The permission check over THE connection medic manages units with (permission.ts says why it
 * has two halves): polkit's `CheckAuthorization` for the bare `manage-units` action with medic's
 * own bus name as the subject, then `Unit.Ref` + `Unit.Unref` on every contract unit — systemd
 * authorizes a Ref as `manage-units` with the unit's name (verb `ref`), the way it authorizes a
 * restart, and a Ref changes nothing (it only keeps the unit loaded until the Unref).
 *
 * Only through a bus daemon: the manager's private socket has no polkit and no other users.
 */
import { userInfo } from 'node:os';
import { DBusError, Variant } from '@jellybrick/dbus-next';
import { SYSTEMD_DEST, type SystemdConnection, unitObjectPath } from './connection.js';
import {
  MANAGE_UNITS,
  type Permission,
  type PolkitAnswer,
  permissionVerdict,
  type UnitProof,
} from './permission.js';

export const POLKIT_DEST = 'org.freedesktop.PolicyKit1';
export const POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority';
export const POLKIT_IFACE = 'org.freedesktop.PolicyKit1.Authority';
const UNIT_IFACE = 'org.freedesktop.systemd1.Unit';

/** Error names that mean "not allowed" (systemd's refusals after polkit, a bus policy's deny). */
const REFUSALS = new Set([
  'org.freedesktop.DBus.Error.AccessDenied',
  'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
]);
const UNKNOWN_UNIT = new Set([
  'org.freedesktop.systemd1.NoSuchUnit',
  'org.freedesktop.DBus.Error.UnknownObject',
]);
const NO_OWNER = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
]);

const errorName = (err: unknown): string | null => (err instanceof DBusError ? err.type : null);

/** polkit's answer for the bare action, medic's own connection as the subject. */
export async function askPolkit(conn: SystemdConnection): Promise<PolkitAnswer> {
  if (!conn.uniqueName) return { kind: 'absent' };
  const subject = ['system-bus-name', { name: new Variant('s', conn.uniqueName) }];
  try {
    const [result] = (await conn.call(
      POLKIT_DEST,
      POLKIT_PATH,
      POLKIT_IFACE,
      'CheckAuthorization',
      '(sa{sv})sa{ss}us',
      // No details (a non-root caller may not pass any), no interaction (flags 0), no cancellation id.
      [subject, MANAGE_UNITS, {}, 0, ''],
    )) as [[boolean, boolean, Record<string, string>]];
    const [authorized, challenge] = result;
    if (authorized) return { kind: 'authorized' };
    return { kind: challenge ? 'challenge' : 'not-authorized' };
  } catch (err) {
    if (NO_OWNER.has(errorName(err) ?? '')) return { kind: 'absent' };
    return { kind: 'failed', message: (err as Error).message };
  }
}

/** `Unit.Ref` + `Unit.Unref` on every unit, 16 in flight; throws on an answer that is no verdict. */
export async function proveUnits(conn: SystemdConnection, units: readonly string[]): Promise<UnitProof> {
  const proof: UnitProof = { permitted: [], refused: [], unknown: [] };
  const queue = [...new Set(units)];
  const one = async (unit: string) => {
    const path = unitObjectPath(unit);
    try {
      await conn.call(SYSTEMD_DEST, path, UNIT_IFACE, 'Ref', '', []);
    } catch (err) {
      const name = errorName(err);
      if (name && REFUSALS.has(name)) proof.refused.push({ unit, error: name.replace(/^.*\./, '') });
      else if (name && UNKNOWN_UNIT.has(name)) proof.unknown.push(unit);
      else throw err;
      return;
    }
    proof.permitted.push(unit);
    // The reference also ends with the connection; an Unref that fails leaves a loaded unit, no more.
    await conn.call(SYSTEMD_DEST, path, UNIT_IFACE, 'Unref', '', []).catch(() => {});
  };
  const worker = async () => {
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) await one(unit);
  };
  await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
  const order = new Map(units.map((u, i) => [u, i]));
  proof.refused.sort((a, b) => (order.get(a.unit) ?? 0) - (order.get(b.unit) ?? 0));
  return proof;
}

/** `medic (uid 998)`: the user systemd and polkit see. */
function whoAmI(uid: number): string {
  try {
    return `${userInfo().username} (uid ${uid})`;
  } catch {
    return `uid ${uid}`;
  }
}

export interface CheckOptions {
  scope: 'user' | 'system';
  units: readonly string[];
  /** medic's uid and a name for messages (default: this process). */
  uid?: number;
  who?: string;
}

/** The whole check on a connection: the verdict medic reports in /readyz and `medic contract permissions`. */
export async function checkPermission(conn: SystemdConnection, opts: CheckOptions): Promise<Permission> {
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const base = { viaDaemon: conn.viaDaemon, scope: opts.scope, uid, who: opts.who ?? whoAmI(uid) };
  if (!conn.viaDaemon) return permissionVerdict(base);
  const polkit = await askPolkit(conn);
  try {
    return permissionVerdict({ ...base, polkit, proof: await proveUnits(conn, opts.units) });
  } catch (err) {
    return permissionVerdict({ ...base, polkit, failure: (err as Error).message });
  }
}
