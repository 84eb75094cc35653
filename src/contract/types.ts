/**
 * The resolved runtime contract: what every consumer (renderer, drift check, watchdog, API)
 * reads. Produced only by load.ts (`loadContract` / `parseContract`); paths are absolute and
 * defaults are filled in.
 */
import type { AlertRule } from '../core/alerts.js';
import type { EscalationTrigger } from '../core/escalation.js';
import type { MaintenanceMode } from '../core/maintenance.js';
import type { Policy } from '../core/policy.js';
import type { Schedule } from './maintenance/schedule.js';

export type SupervisorKind = 'systemd' | 'process';
export type SupervisorScope = 'system' | 'user';

export interface ContractHealth {
  url: string;
  /** Seconds between probes (default 10). */
  intervalSec: number;
  /** Probe timeout in ms (default 2000). */
  timeoutMs: number;
}

export interface ContractService {
  name: string;
  /** A concrete `.service` unit name, valid per systemd's grammar (unit-name.ts). */
  unit: string;
  /** The command as written in the contract (`python` not yet resolved). */
  command: string[];
  /** The command to run: `python` replaced by `conda.pythonPath`. */
  argv: string[];
  workingDirectory?: string;
  /** The service's own environment (without CONDA_PREFIX/PATH, which medic adds). */
  environment: Record<string, string>;
  /**
   * Which conda variables the unit carries: `env` CONDA_PREFIX + PATH, `path` PATH, `none`.
   * Always set by the loader; absent (hand-built services) means `env`.
   */
  activation?: 'env' | 'path' | 'none';
  /** The HTTP probe; absent means: judged by systemd's unit state only. */
  health?: ContractHealth;
  /** Alertmanager alert mappings (core/alerts.ts); absent or empty: none. */
  alerts?: AlertRule[];
  /** Services of this contract this one depends on (validated: known, no cycle). */
  dependsOn?: string[];
  /** Services restarted after this one, in order (validated: known, no cycle). */
  restartWith?: string[];
  /** The named policy used, or null for an inline policy. */
  policyName: string | null;
  /** The effective policy, defaults filled in, feasibility checked. */
  policy: Policy;
}

/** The contract's `escalation` block; secrets are environment variable names, read by serve. */
export interface ContractEscalation {
  pagerduty: { routingKeyEnv: string } | null;
  webhooks: { name: string; url: string; secretEnv: string }[];
  on: EscalationTrigger[];
  approvalPendingSec: number | null;
}

/** A contract maintenance window, resolved (schedule parsed; src/contract/maintenance/). */
export interface ContractMaintenance {
  name: string;
  schedule: Schedule;
  timezone: string;
  services: string[] | 'all';
  mode: MaintenanceMode;
  notify: boolean;
}

export interface Contract {
  /** Absolute path of the contract file (`<memory>` paths are kept as given). */
  file: string;
  /** Folder of the contract file; `repo` globs are relative to it. */
  dir: string;
  version: 1;
  supervisor: { kind: SupervisorKind; scope: SupervisorScope };
  conda: {
    root: string;
    env: string;
    /** Expected Python version, "MAJOR.MINOR" or "MAJOR.MINOR.PATCH". */
    python: string;
    /** `conda.prefix`, or `<root>/envs/<env>` (normalized: no duplicate or trailing slashes). */
    prefix: string;
    /** `<prefix>/bin/python`. */
    pythonPath: string;
  };
  /** Named policies, each with defaults filled in. */
  policies: Record<string, Policy>;
  services: ContractService[];
  /** Globs relative to `dir` (may be empty). */
  repo: { units: string[]; scripts: string[] };
  /** Escalation targets and triggers (docs/ALERTS.md); absent: medic escalates nowhere. */
  escalation?: ContractEscalation;
  /** Maintenance windows (src/contract/maintenance/); absent or empty: none. */
  maintenance?: ContractMaintenance[];
}

export interface ContractProblem {
  /** Dotted path into the document (e.g. `services.1.unit`), `(yaml)` or `(file)`. */
  path: string;
  message: string;
  /** 1-based line in the file when known. */
  line?: number;
}

/** The contract could not be read or is invalid; `problems` lists every problem at once. */
export class ContractError extends Error {
  readonly code = 'CONTRACT_INVALID';
  constructor(
    readonly file: string,
    readonly problems: ContractProblem[],
  ) {
    super(
      `invalid contract ${file}:\n${problems
        .map((p) => `  - ${p.path}: ${p.message}${p.line ? ` (line ${p.line})` : ''}`)
        .join('\n')}`,
    );
  }
}
