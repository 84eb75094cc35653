/**
 * systemd's own restart limits against medic's policy (issue 18, part 3): warnings in the
 * contract check (`medic contract check`, the drift loop) when a unit's settings would fight the
 * policy. Warnings, not drift: the gate still passes.
 *
 * - **Start limit.** systemd refuses a start (`start-limit-hit`) once more than
 *   `StartLimitBurst` starts happened within `StartLimitIntervalSec`, and every start after it
 *   until `systemctl reset-failed` or the interval passes. medic's policy allows, within that
 *   interval, the unit's start plus its automatic restarts spaced by the cooldown/backoff
 *   (at most `maxRestarts`): if that is more than the burst, a restart medic decides can be
 *   refused by systemd. `StartLimitIntervalSec=0` disables the limit (no warning).
 * - **Restart=.** systemd restarting the unit by itself (`Restart=` other than `no`) sooner than
 *   medic's cooldown (`RestartSec=` < `cooldownSec`) spends the churn window faster than the
 *   policy spaces restarts: medic counts those restarts and opens the circuit (hard stop) early.
 */
import type { ContractService } from '../contract/types.js';
import type { Policy } from '../core/policy.js';
import { restartSpacingSec } from '../core/policy.js';
import type { UnitProperties } from '../systemd/properties.js';
import type { Finding } from './types.js';

/** Starts the policy allows within `intervalSec`: the start itself plus the automatic restarts. */
export function startsWithin(policy: Policy, intervalSec: number): number {
  let starts = 1;
  let t = 0;
  for (let n = 1; n <= policy.maxRestarts; n++) {
    t += restartSpacingSec(policy, n);
    if (t >= intervalSec) break;
    starts++;
  }
  return starts;
}

const secs = (us: number) => Math.round(us / 1e4) / 100;

export function limitFindings(
  svc: ContractService,
  show: UnitProperties,
  policy: Policy = svc.policy,
): Finding[] {
  const out: Finding[] = [];
  const add = (f: Omit<Finding, 'source' | 'service' | 'severity'>) =>
    out.push({ source: 'systemd', service: svc.name, severity: 'warning', ...f });
  const intervalSec = Number.isFinite(show.startLimitIntervalUSec) ? show.startLimitIntervalUSec / 1e6 : 0;
  const burst = show.startLimitBurst;
  if (intervalSec > 0 && burst > 0) {
    const starts = startsWithin(policy, intervalSec);
    if (starts > burst) {
      add({
        field: 'StartLimitBurst',
        expected: `StartLimitBurst > ${starts - 1} within StartLimitIntervalSec=${intervalSec}s (medic's policy allows ${starts} starts in it), or StartLimitIntervalSec=0`,
        actual: `StartLimitBurst=${burst} StartLimitIntervalSec=${intervalSec}s: systemd would refuse medic's restart (start-limit-hit)`,
        fix: `systemctl edit ${svc.unit}  # [Unit] StartLimitIntervalSec=0 (medic's policy limits restarts), then systemctl daemon-reload`,
      });
    }
  }
  const restartUSec = show.restartUSec;
  if (
    show.restart &&
    show.restart !== 'no' &&
    restartUSec !== undefined &&
    restartUSec / 1e6 < policy.cooldownSec
  ) {
    add({
      field: 'Restart',
      expected: `Restart=no (medic restarts), or RestartSec ≥ cooldownSec ${policy.cooldownSec}s`,
      actual: `Restart=${show.restart} RestartSec=${secs(restartUSec)}s: systemd restarts sooner than the policy allows; each counts as churn`,
      fix: `systemctl edit ${svc.unit}  # [Service] Restart=no, then systemctl daemon-reload`,
    });
  }
  return out;
}
