/**
 * The three properties that tell one run of a service from the next — `InvocationID`,
 * `NRestarts`, `ExecMainExitTimestampMonotonic` — read with one `Properties.Get` each instead of
 * a `GetAll` of every interface (~250 properties, ~1.5 ms of CPU to decode per unit). The
 * missed-signal verifier (src/watchdog/verify.ts) reads a slice of units this way every round;
 * a unit that looks changed is then read in full.
 */
import { type DbusCaller, PROPS_IFACE, SYSTEMD_DEST } from './bus.js';

const UNIT_IFACE = 'org.freedesktop.systemd1.Unit';
const SERVICE_IFACE = 'org.freedesktop.systemd1.Service';

export interface RunIdentity {
  invocationId: string;
  nRestarts: number;
  execMainExitMono: number;
}

interface Variant {
  value: unknown;
}

const num = (v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? Number(v) : 0);

/** The run identity of the service unit at `path` (a `.service`: the Service interface must exist). */
export async function readRunIdentity(conn: DbusCaller, path: string): Promise<RunIdentity> {
  const get = async (iface: string, prop: string) =>
    ((await conn.call(SYSTEMD_DEST, path, PROPS_IFACE, 'Get', 'ss', [iface, prop])) as [Variant])[0].value;
  // Pipelined on the connection: one round trip for the three.
  const [id, restarts, exit] = await Promise.all([
    get(UNIT_IFACE, 'InvocationID'),
    get(SERVICE_IFACE, 'NRestarts'),
    get(SERVICE_IFACE, 'ExecMainExitTimestampMonotonic'),
  ]);
  return {
    // `ay` (16 bytes): hex, as the full read decodes it (src/systemd/units.ts `plain`).
    invocationId: Buffer.isBuffer(id) ? id.toString('hex') : '',
    nRestarts: num(restarts),
    execMainExitMono: num(exit),
  };
}
