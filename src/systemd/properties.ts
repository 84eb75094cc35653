/**
 * Bulk reader of systemd unit properties over D-Bus — systemd's own parse of each unit (drop-ins
 * and specifiers applied), as structured values: `ExecStart` as argv arrays, `Environment` as
 * the list of assignments, `EnvironmentFiles` with their optional flag. Nothing here re-splits
 * `systemctl show` text.
 *
 * One call resolves every name (`ListUnitsByNames`, which also loads units not loaded yet — a
 * missing unit comes back with loadState `not-found`), then one `GetAll` per unit for all its
 * interfaces (the empty interface name), pipelined on the connection with at most `concurrency`
 * calls in flight. Each reply is decoded into a small object at once and dropped, so memory
 * stays flat however many units are read. Cost: one round trip plus ~1.5 ms CPU per unit (see
 * docs/SYSTEMD.md).
 */
import { assertUnitName } from '../contract/unit-name.js';
import { type DbusCaller, MANAGER_IFACE, MANAGER_PATH, PROPS_IFACE, SYSTEMD_DEST } from './bus.js';
import { decodeUnit, type UnitProperties, type VariantLike } from './decode.js';

export type { ExecCommand, UnitProperties } from './decode.js';
export { environmentRecord } from './decode.js';

/** Reads the properties of many units at once (the form drift and `contract init` take). */
export type UnitPropertyReader = (units: readonly string[]) => Promise<Map<string, UnitProperties>>;

export interface ReadOptions {
  /**
   * GetAll calls in flight at once (default 16: enough to hide the round trip; deeper queues
   * only make each call wait longer behind the others for a busy manager, against the
   * connection's per-call timeout).
   */
  concurrency?: number;
  /** Called with each unit as soon as its reply is decoded (detection keeps per-unit snapshots). */
  onUnit?: (props: UnitProperties) => void;
  /** Called with every object path once `ListUnitsByNames` answered, before any GetAll. */
  onPaths?: (paths: Map<string, string>) => void;
}

/** One row of `ListUnitsByNames`: (name, description, load, active, sub, following, path, …). */
type UnitInfo = [string, string, string, string, string, string, string, number, string, string];

/**
 * Properties of `units` (validated unit names; duplicates read once), keyed by the name asked
 * for. Rejects when the manager does not answer, with the failing call in the message.
 */
export async function readUnitProperties(
  conn: DbusCaller,
  units: readonly string[],
  opts: ReadOptions = {},
): Promise<Map<string, UnitProperties>> {
  const names = [...new Set(units)];
  const out = new Map<string, UnitProperties>();
  if (names.length === 0) return out;
  for (const n of names) assertUnitName(n);
  const [infos] = (await conn.call(SYSTEMD_DEST, MANAGER_PATH, MANAGER_IFACE, 'ListUnitsByNames', 'as', [
    names,
  ])) as [UnitInfo[]];
  // The reply keeps the order of the names (systemd skips only invalid names, checked above).
  if (infos.length !== names.length) {
    throw new Error(`ListUnitsByNames answered ${infos.length} units for ${names.length} names`);
  }
  opts.onPaths?.(new Map(names.map((n, i) => [n, infos[i]![6]])));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const path = infos[i]![6];
      const [bag] = (await conn.call(SYSTEMD_DEST, path, PROPS_IFACE, 'GetAll', 's', [''])) as [
        Record<string, VariantLike>,
      ];
      const props = decodeUnit(names[i]!, path, bag);
      out.set(names[i]!, props);
      opts.onUnit?.(props);
    }
  };
  const width = Math.max(1, Math.min(opts.concurrency ?? 16, names.length));
  await Promise.all(Array.from({ length: width }, worker));
  // Same order as asked, whatever order the replies came in.
  return new Map(names.map((n) => [n, out.get(n)!]));
}

/** A reader bound to a connection. */
export function unitPropertyReader(conn: DbusCaller, opts: ReadOptions = {}): UnitPropertyReader {
  return (units) => readUnitProperties(conn, units, opts);
}
