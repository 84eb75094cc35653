/**
 * Drift, watched: the contract is checked on start and every
 * MEDIC_DRIFT_INTERVAL_SEC (`medic serve`), and on demand by the `checkDrift` mutation; a change of the findings is recorded as audit events —
 * `drift_detected` for new findings, `drift_resolved` for findings that went away — one event
 * per service (service null for contract-wide findings). Every event carries the full current
 * finding list (`data.allFindings`), so after a restart of medic the previous state is read
 * back from the newest drift event and an unchanged drift is not recorded again.
 *
 * Implements the API's ContractStatus port (path, inspect, checkDrift, lastDrift), so the
 * periodic check and the `checkDrift` mutation share one path.
 */
import { loadContract } from '../contract/load.js';
import { type Contract, ContractError } from '../contract/types.js';
import type { AuditEvent, EventKind } from '../core/audit.js';
import type { Clock, Timer } from '../core/clock.js';
import { checkDrift, type DriftReport, type DriftSource, type Finding } from '../drift/check.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { UnitPropertyReader } from '../systemd/properties.js';

const key = (f: Finding) => JSON.stringify([f.source, f.service, f.field, f.expected, f.actual]);

/** The audit-log read the watcher needs on its first check (the newest drift event). */
export interface DriftLog {
  listEvents(q: { kinds: EventKind[]; order: 'desc'; first: number }): { events: AuditEvent[] };
}

export interface DriftWatcherOptions {
  /** The contract as loaded at start, or its path (then re-read at every check). */
  contract: Contract | string;
  engine: Pick<Engine, 'record'>;
  /** Where the previous finding list is read back after a restart (none: start from empty). */
  store?: DriftLog;
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  intervalSec: number;
  /** Sources to compare (default: systemd, fs and repo; fs and repo for a process supervisor). */
  sources?: readonly DriftSource[];
  /** Reads unit properties for the systemd source (serve: the watchdog's D-Bus connection). */
  readUnits?: UnitPropertyReader;
  /** Environment for `$VAR`/`~` expansion in drift checks. */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Injected drift check (default: the real one). */
  check?: (contract: Contract, sources: readonly DriftSource[]) => Promise<DriftReport>;
}

export class DriftWatcher {
  private previous: Finding[] | null = null;
  private last: DriftReport | null = null;
  private timer: Timer | null = null;
  private running: Promise<DriftReport> | null = null;
  readonly path: string;

  constructor(private readonly opts: DriftWatcherOptions) {
    this.path = typeof opts.contract === 'string' ? opts.contract : opts.contract.file;
  }

  private contract(): Promise<Contract> {
    const { contract } = this.opts;
    return typeof contract === 'string' ? loadContract(contract) : Promise.resolve(contract);
  }

  private sourcesOf(contract: Contract): readonly DriftSource[] {
    // A process-supervised contract has no systemd units to compare.
    return (
      this.opts.sources ??
      (contract.supervisor.kind === 'process' ? ['fs', 'repo'] : ['systemd', 'fs', 'repo'])
    );
  }

  /** The finding list recorded by the newest drift event (null when none was ever recorded). */
  private recorded(): Finding[] | null {
    if (!this.opts.store) return null;
    const { events } = this.opts.store.listEvents({
      kinds: ['drift_detected', 'drift_resolved'],
      order: 'desc',
      first: 1,
    });
    const all = events[0]?.data?.allFindings;
    return Array.isArray(all) ? (all as Finding[]) : null;
  }

  /** Runs the check now (joins one in flight) and records what changed. */
  checkDrift(): Promise<DriftReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<DriftReport> {
    const { env, readUnits, clock } = this.opts;
    const check =
      this.opts.check ?? ((c, sources) => checkDrift(c, { sources, env, readUnits, now: () => clock.now() }));
    const contract = await this.contract();
    const report = await check(contract, this.sourcesOf(contract));
    this.last = report;
    this.previous ??= this.recorded() ?? [];
    this.recordChanges(this.previous, report.findings);
    this.previous = report.findings;
    return report;
  }

  private recordChanges(before: Finding[], after: Finding[]): void {
    const beforeKeys = new Set(before.map(key));
    const afterKeys = new Set(after.map(key));
    const added = after.filter((f) => !beforeKeys.has(key(f)));
    const gone = before.filter((f) => !afterKeys.has(key(f)));
    const services = new Set([...added, ...gone].map((f) => f.service));
    for (const service of services) {
      const mine = (list: Finding[]) => list.filter((f) => f.service === service);
      for (const [kind, list] of [
        ['drift_detected', mine(added)],
        ['drift_resolved', mine(gone)],
      ] as const) {
        if (list.length === 0) continue;
        const what = list.map((f) => `${f.source} ${f.field}`).join(', ');
        this.opts.engine.record({
          service,
          kind,
          decision: null,
          taken: null,
          input: null,
          actor: 'medic',
          reason: `${kind === 'drift_detected' ? 'drift detected' : 'drift resolved'}: ${what}`,
          stateFrom: null,
          stateTo: null,
          counters: null,
          effects: [],
          mode: null,
          data: { findings: list, allFindings: after },
        });
        this.opts.logger?.[kind === 'drift_detected' ? 'warn' : 'info'](
          { service, findings: list },
          `contract ${kind}`,
        );
      }
    }
  }

  lastDrift(): DriftReport | null {
    return this.last;
  }

  /** Validates the contract file as it is on disk now. */
  async inspect(): Promise<{ valid: boolean; errors: string[]; services: string[] }> {
    try {
      const c = await loadContract(this.path);
      return { valid: true, errors: [], services: c.services.map((s) => s.name) };
    } catch (err) {
      if (err instanceof ContractError) {
        return { valid: false, errors: err.problems.map((p) => `${p.path}: ${p.message}`), services: [] };
      }
      throw err;
    }
  }

  /** First check now, then every intervalSec; failures are logged, not fatal. */
  start(): void {
    const tick = () => {
      this.checkDrift()
        .catch((err) => this.opts.logger?.warn({ err: (err as Error).message }, 'drift check failed'))
        .finally(() => {
          if (this.timer === null) return;
          this.timer = this.opts.clock.setTimeout(tick, this.opts.intervalSec * 1000);
        });
    };
    this.timer = this.opts.clock.setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** The API's `ContractStatus` for a contract file (re-read at every check), without a timer. */
export function createContractStatus(opts: {
  path: string;
  engine: Pick<Engine, 'record'>;
  clock: DriftWatcherOptions['clock'];
  drift?: Pick<DriftWatcherOptions, 'sources' | 'readUnits' | 'env'>;
}): DriftWatcher {
  return new DriftWatcher({
    contract: opts.path,
    engine: opts.engine,
    clock: opts.clock,
    intervalSec: 0,
    ...opts.drift,
  });
}
