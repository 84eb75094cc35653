/** Drift findings: where the world differs from the runtime contract. */
import type { UnitPropertyReader } from '../systemd/properties.js';

export const DRIFT_SOURCES = ['systemd', 'fs', 'repo'] as const;
export type DriftSource = (typeof DRIFT_SOURCES)[number];

export interface Finding {
  source: DriftSource;
  /** The service's name, or `*` for contract-wide findings (the conda environment, shared files). */
  service: string;
  /** What differs, e.g. `interpreter`, `environment.CONDA_PREFIX`, `python.version`, `deploy/run.sh:4`. */
  field: string;
  expected: string;
  actual: string;
  /** `error` is drift (exit 1); `warning` is reported but does not fail the gate. */
  severity: 'error' | 'warning';
  /** The concrete command that fixes it. */
  fix: string;
}

export interface DriftReport {
  /** True when no finding has severity `error`. */
  ok: boolean;
  /** ISO 8601 time of the check. */
  checkedAt: string;
  findings: Finding[];
}

/** A whole source could not be read (systemctl unusable, a repo folder unreadable, ...). */
export class DriftSourceError extends Error {
  readonly code = 'DRIFT_SOURCE_UNREADABLE';
  constructor(
    readonly source: DriftSource,
    detail: string,
  ) {
    super(`drift source '${source}' could not be read: ${detail}`);
  }
}

export interface DriftContext {
  /** The process environment given to the check (never read from process.env here). */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads the units' properties from systemd in one bulk call (src/systemd/properties.ts). */
  readUnits: UnitPropertyReader;
}
