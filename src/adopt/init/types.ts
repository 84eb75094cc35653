/**
 * Inputs and outputs of `medic contract init`: what systemd says about each unit
 * (`UnitProperties`, read over D-Bus by `read-units.ts`), what the host's filesystem says
 * (`InitHost`, real in `host.ts`), and what the inference makes of them (`Inferred`,
 * `Excluded`). The inference (`infer.ts`) is a function of these inputs only.
 */
import type { ExecCommand as SystemdExec, UnitProperties as SystemdUnit } from '../../systemd/properties.js';

/** One `ExecStart=` command as systemd parsed it: the program and its argv (argv[0] included). */
export type ExecCommand = Pick<SystemdExec, 'path' | 'argv'>;

/**
 * The unit properties contract init reads: a subset of the bulk reader's (src/systemd), so
 * tests can build them by hand. `workingDirectory` is without systemd's `!` (missing-ok) marker,
 * which `workingDirectoryOptional` keeps.
 */
export type UnitProperties = Pick<
  SystemdUnit,
  | 'id'
  | 'loadState'
  | 'fragmentPath'
  | 'environment'
  | 'environmentFiles'
  | 'workingDirectory'
  | 'workingDirectoryOptional'
  | 'user'
> & { execStart: ExecCommand[] };

/** What init reads from the host besides systemd; `host.ts` is the real one. */
export interface InitHost {
  /** realpath of the longest existing ancestor, the rest appended (never throws). */
  realpath(path: string): Promise<string>;
  isDir(path: string): Promise<boolean>;
  /** A regular file with an execute bit. */
  isExecutable(path: string): Promise<boolean>;
  /** The file's text (first 64 KiB), or null when it cannot be read. */
  readText(path: string): Promise<string | null>;
  /** Names in a folder ([] when it cannot be read). */
  listDir(path: string): Promise<string[]>;
  /** `MAJOR.MINOR.PATCH` that the interpreter reports, or null when it does not run. */
  pythonVersion(python: string): Promise<string | null>;
  /** HTTP status of a GET (redirects not followed), or null on no answer. */
  httpStatus(url: string): Promise<number | null>;
}

/** How the unit reaches its Python interpreter. */
export type Launch =
  | { kind: 'direct' }
  | { kind: 'script'; script: string }
  | { kind: 'env'; program: string; pathFrom: string }
  | { kind: 'conda-run'; conda: string; selector: string };

/** A conda environment as found from a unit. */
export interface CondaEnv {
  root: string;
  env: string;
  prefix: string;
  /** The prefix with symlinks resolved: two spellings of one environment are one environment. */
  realPrefix: string;
  /** True when `prefix` is not `<root>/envs/<env>` (base env, `conda create -p`): write it. */
  explicitPrefix: boolean;
  /** Why root/env are what they are (for the YAML comment). */
  how: string;
}

/** A unit that runs Python from a conda prefix, with everything the contract needs. */
export interface Inferred {
  unit: string;
  name: string;
  conda: CondaEnv;
  launch: Launch;
  /** The interpreter as the unit names it (after PATH lookup for `env`). */
  interpreter: string;
  command: string[];
  workingDirectory?: string;
  environment: Record<string, string>;
  /** The unit's effective environment (Environment= then EnvironmentFiles), for activation. */
  effectiveEnv: Record<string, string>;
  health?: HealthProposal;
  /** Lines for the YAML comment above the service: what was inferred and from where. */
  notes: string[];
}

/** A service as written: the inferred unit plus its activation against the contract's env. */
export interface PlannedService extends Inferred {
  activation: 'env' | 'path' | 'none';
}

export interface HealthProposal {
  url: string;
  /** Where the port came from, e.g. `--port 8000 in ExecStart`. */
  from: string;
  /** True when the URL answered 2xx at init time; else it is only proposed (commented out). */
  verified: boolean;
  /** What was tried when not verified. */
  tried?: string;
}

export interface Excluded {
  unit: string;
  reason: string;
}
