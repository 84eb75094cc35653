/**
 * The drift check: compares the contract with the three sources (live systemd, filesystem,
 * repo files) and returns every finding. `ok` is false when any finding is an error; warnings
 * are reported but do not fail the deploy gate. A source that cannot be read at all throws
 * DriftSourceError naming it (the CLI exits 2).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Contract } from '../types.js';
import { checkFs } from './fs.js';
import { checkRepo } from './repo.js';
import { checkSystemd } from './systemd.js';
import {
  DRIFT_SOURCES,
  type DriftContext,
  type DriftReport,
  type DriftSource,
  type Finding,
  type SystemctlRunner,
} from './types.js';

export type { DriftReport, DriftSource, Finding, SystemctlRunner } from './types.js';
export { DRIFT_SOURCES, DriftSourceError } from './types.js';

const run = promisify(execFile);

/** The real runner: `execFile('systemctl', args)` (never a shell). */
export const realSystemctl: SystemctlRunner = async (args) => {
  const { stdout } = await run('systemctl', args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 });
  return stdout;
};

export interface DriftOptions {
  /** Sources to check (default: all three). */
  sources?: readonly DriftSource[];
  /** Runs systemctl (default: `realSystemctl`). */
  systemctl?: SystemctlRunner;
  /** Environment for `$VAR`/`~` expansion (HOME, …); default none. The CLI passes its io.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock for `checkedAt` (default: now). */
  now?: () => Date;
}

const ORDER: Record<DriftSource, number> = { systemd: 0, fs: 1, repo: 2 };

export async function checkDrift(contract: Contract, opts: DriftOptions = {}): Promise<DriftReport> {
  const sources = opts.sources ?? DRIFT_SOURCES;
  const ctx: DriftContext = { env: opts.env ?? {}, systemctl: opts.systemctl ?? realSystemctl };
  const checkedAt = (opts.now ?? (() => new Date()))().toISOString();
  const parts = await Promise.all([
    sources.includes('systemd') ? checkSystemd(contract, ctx) : [],
    sources.includes('fs') ? checkFs(contract) : [],
    sources.includes('repo') ? checkRepo(contract, ctx) : [],
  ]);
  const findings: Finding[] = parts.flat().sort((a, b) => ORDER[a.source] - ORDER[b.source]);
  return { ok: !findings.some((f) => f.severity === 'error'), checkedAt, findings };
}
