/**
 * systemd's unit objects over D-Bus: object paths, properties as `UnitStatus`, and jobs.
 *
 * `SystemdUnits` keeps no state of its own beyond the jobs it is waiting for; the monitor keeps
 * the per-unit snapshots.
 */

import { MANAGER_IFACE, type SignalMessage, type SystemdConnection } from './connection.js';
import type { UnitProperties } from './properties.js';
import type { UnitStatus } from './status.js';
import { SHOW_PROPS } from './systemctl.js';

/** The properties medic reads (the same as the polling fallback's); others in a PropertiesChanged are ignored. */
const WANTED = new Set<string>(SHOW_PROPS);

/** A D-Bus variant as dbus-next decodes it. */
interface VariantLike {
  signature: string;
  value: unknown;
}

/** Plain JS value of a variant: uint64 → number (µs timestamps fit), `ay` → hex. */
function plain(v: VariantLike): unknown {
  if (typeof v.value === 'bigint') return Number(v.value);
  if (Buffer.isBuffer(v.value)) return v.value.toString('hex');
  return v.value;
}

/** Raw property bag (by systemd property name) → values medic keeps. */
export type RawProps = Record<string, unknown>;

export function pickProps(changed: Record<string, VariantLike>): RawProps {
  const out: RawProps = {};
  for (const [k, v] of Object.entries(changed)) if (WANTED.has(k)) out[k] = plain(v);
  return out;
}

/** The detection bag (systemd property names) of a unit read in bulk; signals update it in place. */
export function bagOf(p: UnitProperties): RawProps {
  return {
    Id: p.id,
    LoadState: p.loadState,
    ActiveState: p.activeState,
    SubState: p.subState,
    Result: p.result,
    ExecMainCode: p.execMainCode,
    ExecMainStatus: p.execMainStatus,
    ExecMainStartTimestamp: p.execMainStartUs,
    ExecMainExitTimestampMonotonic: p.execMainExitMono,
    ExecMainExitTimestamp: p.execMainExitUs,
    NRestarts: p.nRestarts,
    InvocationID: p.invocationId,
    Restart: p.restart,
  };
}

const str = (v: unknown, d = '') => (typeof v === 'string' ? v : d);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function statusFromProps(p: RawProps): UnitStatus {
  return {
    loadState: str(p.LoadState, 'loaded'),
    activeState: str(p.ActiveState, 'inactive'),
    subState: str(p.SubState, 'dead'),
    result: str(p.Result, 'success'),
    execMainCode: num(p.ExecMainCode),
    execMainStatus: num(p.ExecMainStatus),
    execMainStartUs: num(p.ExecMainStartTimestamp),
    execMainExitMono: num(p.ExecMainExitTimestampMonotonic),
    execMainExitUs: num(p.ExecMainExitTimestamp),
    nRestarts: num(p.NRestarts),
    invocationId: str(p.InvocationID),
    restart: str(p.Restart, 'no'),
  };
}

export type JobResult = 'done' | 'canceled' | 'timeout' | 'failed' | 'dependency' | 'skipped' | string;

export class SystemdUnits {
  private readonly jobWaiters = new Map<string, (result: JobResult) => void>();
  /** JobRemoved signals that arrived before the method reply that named the job. */
  private readonly earlyJobs = new Map<string, JobResult>();

  constructor(readonly conn: SystemdConnection) {
    conn.onSignal((msg) => this.onSignal(msg));
  }

  private onSignal(msg: SignalMessage): void {
    if (msg.interface !== MANAGER_IFACE || msg.member !== 'JobRemoved') return;
    const [, job, , result] = msg.body as [number, string, string, string];
    const waiter = this.jobWaiters.get(job);
    if (waiter) {
      this.jobWaiters.delete(job);
      waiter(result);
    } else {
      this.earlyJobs.set(job, result);
      // Bounded: jobs nobody waits for (other clients' jobs) are forgotten.
      if (this.earlyJobs.size > 256) this.earlyJobs.delete(this.earlyJobs.keys().next().value as string);
    }
  }

  /**
   * Active and sub state of many units in one call (`ListUnitsByNames`): the cheap half of the
   * signal verification (verify.ts). Units systemd does not know are left out.
   */
  async listStates(units: string[]): Promise<Map<string, { activeState: string; subState: string }>> {
    const out = new Map<string, { activeState: string; subState: string }>();
    if (units.length === 0) return out;
    const [rows] = (await this.conn.callManager('ListUnitsByNames', 'as', [units])) as [string[][]];
    for (const [name, , load, active, sub] of rows) {
      if (name && load !== 'not-found') out.set(name, { activeState: active ?? '', subState: sub ?? '' });
    }
    return out;
  }

  /**
   * Runs a unit job (`RestartUnit`, `StopUnit`, `StartUnit`; mode "replace") and waits for its
   * JobRemoved result, at most `timeoutMs` (default 90 s, systemd's default start timeout).
   */
  async runJob(
    method: 'RestartUnit' | 'StopUnit' | 'StartUnit',
    unit: string,
    timeoutMs = 90_000,
  ): Promise<JobResult> {
    const [job] = (await this.conn.callManager(method, 'ss', [unit, 'replace'])) as [string];
    const early = this.earlyJobs.get(job);
    if (early !== undefined) {
      this.earlyJobs.delete(job);
      return early;
    }
    return new Promise<JobResult>((resolve) => {
      let off = () => {};
      const finish = (result: JobResult) => {
        this.conn.clock.clearTimeout(timer);
        this.jobWaiters.delete(job);
        off();
        resolve(result);
      };
      const timer = this.conn.clock.setTimeout(() => finish('timeout'), timeoutMs);
      this.jobWaiters.set(job, finish);
      off = this.conn.onClose(() => finish('failed'));
    });
  }
}
