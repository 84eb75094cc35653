/**
 * The drift check: compares the contract with the three sources (live systemd, filesystem,
 * repo files) and returns every finding. `ok` is false when any finding is an error; warnings
 * are reported but do not fail the deploy gate. A source that cannot be read at all throws
 * DriftSourceError naming it (the CLI exits 2).
 */

import { systemClock } from '../clock/clock.js';
import type { Contract } from '../contract/types.js';
import { oneShotReader } from '../systemd/connect.js';
import type { UnitPropertyReader } from '../systemd/properties.js';
import { checkFs } from './fs.js';
import { checkRepo } from './repo.js';
import { checkSystemd } from './systemd.js';
import {
  DRIFT_SOURCES,
  type DriftContext,
  type DriftReport,
  type DriftSource,
  type Finding,
} from './types.js';

export type { DriftReport, DriftSource, Finding } from './types.js';
export { DRIFT_SOURCES, DriftSourceError } from './types.js';

export interface DriftOptions {
  /** Sources to check (default: all three). */
  sources?: readonly DriftSource[];
  /**
   * Reads unit properties (default: a D-Bus connection to the contract's manager opened for
   * this check — XDG_RUNTIME_DIR and MEDIC_DBUS_ADDRESS from `env`; `medic serve` passes the
   * watchdog's connection).
   */
  readUnits?: UnitPropertyReader;
  /** Environment for `$VAR`/`~` expansion (HOME, …); default none. The CLI passes its io.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock for `checkedAt`, epoch ms (default: the system clock). */
  now?: () => number;
}

const ORDER: Record<DriftSource, number> = { systemd: 0, fs: 1, repo: 2 };

export async function checkDrift(contract: Contract, opts: DriftOptions = {}): Promise<DriftReport> {
  const sources = opts.sources ?? DRIFT_SOURCES;
  const env = opts.env ?? {};
  const readUnits =
    opts.readUnits ??
    oneShotReader({
      scope: contract.supervisor.scope,
      runtimeDir: env.XDG_RUNTIME_DIR,
      busAddress: env.MEDIC_DBUS_ADDRESS,
    });
  const ctx: DriftContext = { env, readUnits };
  const checkedAt = new Date((opts.now ?? systemClock.now)()).toISOString();
  const parts = await Promise.all([
    sources.includes('systemd') ? checkSystemd(contract, ctx) : [],
    sources.includes('fs') ? checkFs(contract) : [],
    sources.includes('repo') ? checkRepo(contract, ctx) : [],
  ]);
  const findings: Finding[] = parts.flat().sort((a, b) => ORDER[a.source] - ORDER[b.source]);
  return { ok: !findings.some((f) => f.severity === 'error'), checkedAt, findings };
}
