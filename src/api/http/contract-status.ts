/**
 * The default `ContractStatus`: validates the contract file on demand, runs the drift check
 * (src/contract) and records the audit trail of drift: `drift_detected` when the set of findings
 * changes to a non-empty one, `drift_resolved` when it becomes empty again. Unchanged results are
 * not recorded again, so a periodic check does not flood the log. The composition root may call
 * `checkDrift()` on a timer; the `checkDrift` mutation calls the same method.
 */

import { ContractError, loadContract } from '../../contract/load.js';
import { type DriftOptions, checkDrift as runDriftCheck } from '../../drift/check.js';
import type { Engine } from '../../engine/types.js';
import type { ContractInspection, ContractStatus, DriftReport } from '../schema/ports.js';

export interface ContractStatusOptions {
  path: string;
  engine: Pick<Engine, 'record' | 'services'>;
  clock: { now(): number };
  /** Passed to the drift check (sources, systemctl runner, env for `~`/`$VAR`). */
  drift?: Omit<DriftOptions, 'now'>;
}

const fingerprint = (report: DriftReport) =>
  JSON.stringify(
    report.findings.map((f) => [f.source, f.service, f.field, f.expected, f.actual, f.severity]),
  );

export function createContractStatus(opts: ContractStatusOptions): ContractStatus {
  let last: DriftReport | null = null;
  let lastPrint = '[]';

  async function inspect(): Promise<ContractInspection> {
    try {
      const contract = await loadContract(opts.path);
      return { valid: true, errors: [], services: contract.services.map((s) => s.name) };
    } catch (err) {
      if (!(err instanceof ContractError)) throw err;
      return { valid: false, errors: err.problems.map((p) => `${p.path}: ${p.message}`), services: [] };
    }
  }

  async function checkDrift(): Promise<DriftReport> {
    const contract = await loadContract(opts.path);
    const report = await runDriftCheck(contract, { ...opts.drift, now: () => new Date(opts.clock.now()) });
    const print = fingerprint(report);
    if (print !== lastPrint) {
      const detected = report.findings.length > 0;
      const services = [...new Set(report.findings.map((f) => f.service))];
      const only = services.length === 1 && opts.engine.services.has(services[0]) ? services[0] : null;
      opts.engine.record({
        service: only,
        kind: detected ? 'drift_detected' : 'drift_resolved',
        decision: null,
        taken: null,
        input: null,
        actor: null,
        reason: detected
          ? `${report.findings.length} drift finding(s), ${report.findings.filter((f) => f.severity === 'error').length} error(s)`
          : 'contract and live sources agree again',
        stateFrom: null,
        stateTo: null,
        counters: null,
        effects: [],
        mode: null,
        data: { contract: opts.path, ok: report.ok, checkedAt: report.checkedAt, findings: report.findings },
      });
      lastPrint = print;
    }
    last = report;
    return report;
  }

  return { path: opts.path, inspect, checkDrift, lastDrift: () => last };
}
