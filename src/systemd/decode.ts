/**
 * Decoding one unit's `GetAll` reply (every interface) into `UnitProperties`: plain numbers
 * for D-Bus integers (µs timestamps fit a double; `UINT64_MAX`, systemd's "infinity", becomes
 * `Infinity`), hex for byte arrays, and defaults for properties a unit type does not have.
 */

/** A D-Bus variant as dbus-next decodes it. */
export interface VariantLike {
  signature: string;
  value: unknown;
}

/** One `ExecStart=` command: D-Bus `(sasbttttuii)` → path, argv, ignore-errors flag. */
export interface ExecCommand {
  /** The binary systemd executes. */
  path: string;
  /** The exact argv (argv[0] included), unexpanded: `$VAR` and `$$` are expanded at exec time. */
  argv: string[];
  /** The `-` prefix: a failing exit is not a failure. */
  ignoreErrors: boolean;
}

export interface UnitProperties {
  /** The name that was asked for. */
  unit: string;
  /** systemd's primary name (differs from `unit` for an alias). */
  id: string;
  /** D-Bus object path. */
  path: string;
  loadState: string;
  activeState: string;
  subState: string;
  /** The unit file ('' when there is none). */
  fragmentPath: string;
  dropInPaths: string[];
  /** Hex; '' when never started. */
  invocationId: string;
  startLimitBurst: number;
  startLimitIntervalUSec: number;
  // Service properties (defaults for other unit types).
  execStart: ExecCommand[];
  /** `Environment=` assignments in order, `KEY=value` each (later ones win; see environmentRecord). */
  environment: string[];
  environmentFiles: { path: string; optional: boolean }[];
  /** WorkingDirectory= without systemd's `!` (missing-ok) marker; '~' = the user's home; '' unset. */
  workingDirectory: string;
  /** WorkingDirectory= had the `-` prefix (a missing directory is not an error). */
  workingDirectoryOptional: boolean;
  user: string;
  restart: string;
  /** `RestartSec=` in µs (absent when the manager did not report it). */
  restartUSec?: number;
  result: string;
  nRestarts: number;
  execMainCode: number;
  execMainStatus: number;
  /** Realtime µs of the current/last main process start; 0 = never. */
  execMainStartUs: number;
  execMainExitUs: number;
  execMainExitMono: number;
}

const UINT64_MAX = 2n ** 64n - 1n;

function num(v: unknown): number {
  if (typeof v === 'bigint') return v === UINT64_MAX ? Number.POSITIVE_INFINITY : Number(v);
  return typeof v === 'number' ? v : 0;
}
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);

function execCommands(v: unknown): ExecCommand[] {
  if (!Array.isArray(v)) return [];
  return v.map((row) => {
    const [path, argv, ignoreErrors] = row as [string, string[], boolean];
    return { path: str(path), argv: strings(argv), ignoreErrors: ignoreErrors === true };
  });
}

export function decodeUnit(unit: string, path: string, bag: Record<string, VariantLike>): UnitProperties {
  const p = (name: string): unknown => bag[name]?.value;
  const wd = str(p('WorkingDirectory'));
  const invocation = p('InvocationID');
  return {
    unit,
    id: str(p('Id'), unit),
    path,
    loadState: str(p('LoadState')),
    activeState: str(p('ActiveState')),
    subState: str(p('SubState')),
    fragmentPath: str(p('FragmentPath')),
    dropInPaths: strings(p('DropInPaths')),
    invocationId: Buffer.isBuffer(invocation) ? invocation.toString('hex') : '',
    startLimitBurst: num(p('StartLimitBurst')),
    startLimitIntervalUSec: num(p('StartLimitIntervalUSec')),
    execStart: execCommands(p('ExecStart')),
    environment: strings(p('Environment')),
    environmentFiles: Array.isArray(p('EnvironmentFiles'))
      ? (p('EnvironmentFiles') as [string, boolean][]).map(([file, optional]) => ({
          path: str(file),
          optional: optional === true,
        }))
      : [],
    workingDirectory: wd.replace(/^!/, ''),
    workingDirectoryOptional: wd.startsWith('!'),
    user: str(p('User')),
    restart: str(p('Restart'), 'no'),
    ...(p('RestartUSec') !== undefined ? { restartUSec: num(p('RestartUSec')) } : {}),
    result: str(p('Result'), 'success'),
    nRestarts: num(p('NRestarts')),
    execMainCode: num(p('ExecMainCode')),
    execMainStatus: num(p('ExecMainStatus')),
    execMainStartUs: num(p('ExecMainStartTimestamp')),
    execMainExitUs: num(p('ExecMainExitTimestamp')),
    execMainExitMono: num(p('ExecMainExitTimestampMonotonic')),
  };
}

/** `Environment=` assignments as a record; a later assignment of a name wins, as in systemd. */
export function environmentRecord(assignments: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return env;
}
