/**
 * Longer than ~200 lines on purpose: the watcher's check, the comparison with the last report
 * and the events it records share one state (the last findings).
 *
 * Drift, watched: the contract is checked on start and every
 * MEDIC_DRIFT_INTERVAL_SEC (`medic serve`), and on demand by the `checkDrift` mutation; a change of the findings is recorded as audit events —
 * `drift_detected` for new findings, `drift_resolved` for findings that went away — one event
 * per service (`*` for contract-wide findings). Each event carries that service's new or resolved
 * findings (`data.findings`) and all of its current ones (`data.current`), so after a restart of
 * medic the previous state is read back from each service's newest drift event and an unchanged
 * drift is not recorded again. (Events written before `data.current` existed carry every
 * service's findings in `data.allFindings`; they are read the same way.) An event never carries
 * other services' findings: a first check of 2,000 drifting units writes 2,000 small events,
 * not 2,000 copies of the whole list.
 *
 * Logging speaks once per change: one summary line per check that changed anything, plus one
 * line per service whose findings changed; an unchanged check logs nothing.
 *
 * Implements the API's ContractStatus port (path, inspect, checkDrift, lastDrift), so the
 * periodic check and the `checkDrift` mutation share one path.
 */
import { loadContract } from '../contract/load.js';
import { type Contract, ContractError } from '../contract/types.js';
import type { AuditEvent, EventKind } from '../core/audit.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Readiness } from '../core/readiness.js';
import { checkDrift, type DriftReport, type DriftSource, type Finding } from '../drift/check.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { UnitPropertyReader } from '../systemd/properties.js';

const key = (f: Finding) => JSON.stringify([f.source, f.service, f.field, f.expected, f.actual]);

/** The audit-log read the watcher needs on its first check (drift events, newest first, paged). */
export interface DriftLog {
  listEvents(q: { kinds: EventKind[]; order: 'desc'; first: number; after?: number }): {
    events: AuditEvent[];
    hasMore: boolean;
  };
}

export interface DriftWatcherOptions {
  /** The contract as loaded at start, or its path (then re-read at every check). */
  contract: Contract | string;
  engine: Pick<Engine, 'recordAll'>;
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
  /**
   * Called after every scheduled check, passed or failed (serve: one full GC — a check of
   * hundreds of units leaves ~100 MB of old-space garbage that V8 would keep for tens of
   * seconds; docs/BENCHMARKS.md, scale).
   */
  afterCheck?: () => void;
  /** Injected drift check (default: the real one). */
  check?: (contract: Contract, sources: readonly DriftSource[]) => Promise<DriftReport>;
}

export class DriftWatcher {
  private previous: Finding[] | null = null;
  private last: DriftReport | null = null;
  private timer: Timer | null = null;
  /** Between start() and stop(): checks keep being scheduled. */
  private started = false;
  /** The first check finished (passed, found drift, or failed); until then medic is not ready. */
  private firstDone = false;
  private markFirstDone: () => void = () => {};
  /** Resolves when the first check ended (whatever its outcome). */
  readonly firstCheck = new Promise<void>((resolve) => {
    this.markFirstDone = resolve;
  });
  private failure: string | null = null;
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

  /**
   * Every service's findings as its newest drift event recorded them (none recorded: []):
   * drift events newest first, a page at a time, until every service has been seen.
   */
  private recorded(contract: Contract): Finding[] {
    if (!this.opts.store) return [];
    const pending = new Set([...contract.services.map((s) => s.name), '*']);
    const out: Finding[] = [];
    let before: number | undefined;
    while (pending.size > 0) {
      const { events, hasMore } = this.opts.store.listEvents({
        kinds: ['drift_detected', 'drift_resolved'],
        order: 'desc',
        first: 500,
        after: before,
      });
      for (const e of events) {
        if (e.service === null || !pending.has(e.service)) continue;
        pending.delete(e.service);
        const list = Array.isArray(e.data?.current) ? e.data.current : e.data?.allFindings;
        if (Array.isArray(list)) out.push(...(list as Finding[]).filter((f) => f.service === e.service));
      }
      if (!hasMore || events.length === 0) break;
      before = events.at(-1)!.id;
    }
    return out;
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
    let report: DriftReport;
    let contract: Contract;
    try {
      contract = await this.contract();
      report = await check(contract, this.sourcesOf(contract));
      this.failure = null;
    } catch (err) {
      this.failure = (err as Error).message;
      throw err;
    } finally {
      this.firstDone = true;
      this.markFirstDone();
    }
    this.last = report;
    this.previous ??= this.recorded(contract);
    this.recordChanges(this.previous, report.findings);
    this.previous = report.findings;
    return report;
  }

  private recordChanges(before: Finding[], after: Finding[]): void {
    const beforeKeys = new Set(before.map(key));
    const afterKeys = new Set(after.map(key));
    const added = after.filter((f) => !beforeKeys.has(key(f)));
    const gone = before.filter((f) => !afterKeys.has(key(f)));
    if (added.length === 0 && gone.length === 0) return;
    const byService = (list: Finding[]) => {
      const m = new Map<string, Finding[]>();
      for (const f of list) {
        const l = m.get(f.service);
        if (l) l.push(f);
        else m.set(f.service, [f]);
      }
      return m;
    };
    const [addedBy, goneBy, currentBy] = [byService(added), byService(gone), byService(after)];
    const services = new Set([...addedBy.keys(), ...goneBy.keys()]);
    const log = this.opts.logger;
    const drifting = new Set(after.filter((f) => f.severity === 'error').map((f) => f.service)).size;
    log?.[added.length > 0 ? 'warn' : 'info'](
      { changed: services.size, drifting, newFindings: added.length, resolvedFindings: gone.length },
      `contract drift changed: ${services.size} service(s) changed, ${drifting} drifting (${added.length} new finding(s), ${gone.length} resolved)`,
    );
    const events: Parameters<Engine['recordAll']>[0] = [];
    for (const service of services) {
      const current = currentBy.get(service) ?? [];
      for (const [kind, list] of [
        ['drift_detected', addedBy.get(service) ?? []],
        ['drift_resolved', goneBy.get(service) ?? []],
      ] as const) {
        if (list.length === 0) continue;
        const what = list.map((f) => `${f.source} ${f.field}`).join(', ');
        events.push({
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
          data: { findings: list, current },
        });
      }
      const newOnes = addedBy.get(service) ?? [];
      log?.[newOnes.length > 0 ? 'warn' : 'info'](
        { service, findings: newOnes, resolved: goneBy.get(service) ?? [] },
        newOnes.length > 0 ? 'contract drift_detected' : 'contract drift_resolved',
      );
    }
    this.opts.engine.recordAll(events);
  }

  /**
   * Part of /readyz: not ready before the first check ended. A failing check is logged (and
   * `lastError` kept) but is no readiness reason: detection does not depend on it.
   */
  readiness(): Readiness {
    return {
      ready: this.firstDone,
      reasons: this.firstDone ? [] : ['first drift check running'],
      detection: null,
    };
  }

  /** The last check's failure, or null when it succeeded (or none ran yet). */
  get lastError(): string | null {
    return this.failure;
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
          this.opts.afterCheck?.();
          if (!this.started) return;
          this.timer = this.opts.clock.setTimeout(tick, this.opts.intervalSec * 1000);
        });
    };
    // The first check starts now, not on a 0 ms timer: startServe waits for it, and a
    // simulated clock fires nothing until it is moved.
    this.started = true;
    tick();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** The API's `ContractStatus` for a contract file (re-read at every check), without a timer. */
export function createContractStatus(opts: {
  path: string;
  engine: Pick<Engine, 'recordAll'>;
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
