/**
 * Executes restart/stop effects on systemd units: over D-Bus (`RestartUnit` / `StopUnit`, mode
 * "replace", waiting for the job's JobRemoved result) when a connection is up, else through
 * `systemctl restart|stop UNIT` (execFile; systemctl itself waits for the job). The unit name is
 * validated before either path. A job result other than `done` is a failed execution, with the
 * result as detail; the engine records it as the restart outcome.
 */

import { assertUnitName } from '../contract/unit-name.js';
import type { Effect } from '../core/types.js';
import type { ExecResult, Executor, ServiceConfig } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { Scope } from '../systemd/connection.js';
import { systemctlRun } from '../systemd/systemctl.js';
import type { SystemdUnits } from '../systemd/units.js';

export interface SystemdExecutorOptions {
  scope: Scope;
  /** The D-Bus unit API while D-Bus detection runs; null → systemctl. Read at each call. */
  dbus: () => SystemdUnits | null;
  logger?: Logger;
  /** Job timeout (default 90 s). */
  jobTimeoutMs?: number;
}

export class SystemdExecutor implements Executor {
  constructor(private readonly opts: SystemdExecutorOptions) {}

  async execute(service: ServiceConfig, effect: Effect): Promise<ExecResult> {
    let unit: string;
    try {
      unit = assertUnitName(service.unit, 'service');
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    const verb = effect.type === 'restart' ? 'restart' : 'stop';
    const started = performance.now();
    // Read before a restart, to tell afterwards whether systemd refused it (start limit).
    const before = effect.type === 'restart' ? await this.readUnit(unit) : null;
    const units = this.opts.dbus();
    let result: ExecResult;
    if (units && units.conn.closed === null) {
      try {
        const job = await units.runJob(
          effect.type === 'restart' ? 'RestartUnit' : 'StopUnit',
          unit,
          this.opts.jobTimeoutMs,
        );
        result = job === 'done' ? { ok: true } : { ok: false, detail: `systemd ${verb} job ${job}` };
      } catch (err) {
        result = { ok: false, detail: `D-Bus ${verb} failed: ${(err as Error).message}` };
      }
    } else {
      try {
        await systemctlRun(this.opts.scope, [verb, '--', unit], this.opts.jobTimeoutMs);
        result = { ok: true };
      } catch (err) {
        const e = err as Error & { stderr?: string };
        result = { ok: false, detail: `systemctl ${verb} failed: ${(e.stderr || e.message).trim()}` };
      }
    }
    if (!result.ok && effect.type === 'restart') result = await this.whyRefused(unit, result, before);
    this.opts.logger?.info(
      { service: service.name, unit, effect, ok: result.ok, ms: Math.round(performance.now() - started) },
      result.ok ? `executed ${verb} of ${unit}` : `${verb} of ${unit} failed`,
    );
    return result;
  }

  /**
   * A failed restart job: was it systemd's own start limit? systemd checks the limit before it
   * starts anything, so a refused start leaves the unit's InvocationID as it was (a real start
   * attempt always gets a new one), with its conditions and asserts passing; `Result=` says
   * `start-limit-hit` only when the unit had not already failed (it keeps the earlier result).
   * `before` is the reading taken before the job.
   */
  private async whyRefused(
    unit: string,
    failed: { ok: false; detail: string },
    before: Record<string, string> | null,
  ): Promise<ExecResult> {
    const after = await this.readUnit(unit);
    const refusedBeforeStart =
      before !== null &&
      after !== null &&
      before.InvocationID === after.InvocationID &&
      after.ConditionResult !== 'no' &&
      after.AssertResult !== 'no';
    if (after?.Result === 'start-limit-hit' || refusedBeforeStart) {
      return {
        ok: false,
        detail: `systemd refused the start: start-limit-hit (${failed.detail})`,
        result: 'start-limit-hit',
      };
    }
    return failed;
  }

  /** The few properties that tell a refused start; null when they cannot be read (best effort). */
  private async readUnit(unit: string): Promise<Record<string, string> | null> {
    try {
      const out = await systemctlRun(
        this.opts.scope,
        ['show', '-p', 'InvocationID,Result,ConditionResult,AssertResult', '--', unit],
        10_000,
      );
      const props: Record<string, string> = {};
      for (const line of out.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return props;
    } catch {
      return null;
    }
  }
}
