/**
 * The prose of the runbook: what each recommended action and each decision code means. Keyed
 * by the code lists of core/types.ts (Record<…> makes a new code a type error here until it is
 * explained). Inline markup: `code`, **bold**, [text](url).
 */
import type { DecisionCode, RecommendedActionCode } from '../core/types.js';

export interface ActionText {
  title: string;
  meaning: string;
  /** Steps, with `<unit>` and `<service>` replaced per service. */
  steps: string[];
}

export const ACTION_TEXTS: Record<RecommendedActionCode, ActionText> = {
  none: {
    title: 'Nothing to do',
    meaning: 'The service is healthy (or nothing has failed often enough to act). medic is watching.',
    steps: ['Optionally confirm with `systemctl status <unit>` or `/medic status <service>`.'],
  },
  watch_restart: {
    title: 'Watch the restart',
    meaning:
      'A restart was issued (automatically, forced, approved or by systemd itself) and its startup grace is running. ' +
      'A passing probe returns the service to healthy; still failing when the grace ends counts as a failed restart.',
    steps: [
      'Follow the start-up: `journalctl -u <unit> -f`.',
      'If it is crash-looping on something a restart cannot fix (config, dependency down), **hold** it (below) before the churn limit opens the circuit.',
    ],
  },
  wait_cooldown: {
    title: 'Wait out the cooldown (or hold)',
    meaning:
      'The service wants a restart but the previous one was too recent: the cooldown or the backoff delay is running. ' +
      'medic restarts it automatically when the delay passes, if it is still unhealthy and the window has room.',
    steps: [
      'Read why it keeps failing: `journalctl -u <unit> -n 200`.',
      'Check the runtime contract for drift (wrong interpreter, env, working directory): `medic contract check`.',
      'If restarting will not help, **hold** it; if you know a restart now will, **force** one (it still counts as churn).',
    ],
  },
  inspect_and_approve: {
    title: 'Inspect, then approve one probe restart or hold',
    meaning:
      'The circuit is open: the churn limit was reached (or the service exited with 78 / EX_CONFIG). medic will not ' +
      'restart it automatically until the open period ends (half-open) or an operator approves one probe restart.',
    steps: [
      'Inspect: `journalctl -u <unit> -n 200`, `systemctl status <unit>`, `systemctl show <unit> -p NRestarts,ExecMainStatus,Result`.',
      'Check for drift: `medic contract check` (exit 1 names the field and the fixing command).',
      'When the cause is fixed, **approve** one probe restart; to keep it down while you work, **hold** it.',
      'After a fix that makes the past churn irrelevant, **reset the circuit** (GraphQL `resetCircuit`).',
    ],
  },
  watch_probe: {
    title: 'Watch the half-open probe',
    meaning:
      'The circuit is half-open: exactly one probe restart is allowed. Stable for stableSec closes the circuit; a failed ' +
      'probe reopens it for a longer period (doubling, capped).',
    steps: [
      'Follow it: `journalctl -u <unit> -f`.',
      'If it is failing and no probe was used yet, **approve** the probe restart now instead of waiting for the gate.',
    ],
  },
  review_hold: {
    title: 'Review the hold',
    meaning:
      'An operator holds the service: no automatic restarts until the hold expires or is released. The hold names its ' +
      'owner and reason; an open circuit stays open underneath it.',
    steps: [
      'Ask the owner (see `/medic status <service>`) whether the fix is in.',
      '**Release** the hold when it is; medic resumes guarding (an open circuit remains open).',
    ],
  },
  reset_failed: {
    title: 'systemd refused the start: reset-failed, then approve',
    meaning:
      'systemd itself refused medic’s restart: the unit hit its start limit (`start-limit-hit`: more than ' +
      '`StartLimitBurst` starts within `StartLimitIntervalSec`). systemd refuses every start until ' +
      '`systemctl reset-failed` or until the interval passes, so medic opened the circuit instead of retrying.',
    steps: [
      'Inspect why it keeps failing: `journalctl -u <unit> -n 200`.',
      'Clear systemd’s counter: `systemctl reset-failed <unit>`.',
      'Then **approve** one probe restart (`medic` / Slack).',
      'So that the two limits do not fight: set `StartLimitIntervalSec=0` in the unit (medic’s policy limits restarts); `medic contract check` warns about it.',
    ],
  },
  wait_fleet_budget: {
    title: 'Waiting for the fleet budget',
    meaning:
      'Many services of the same budget group (`budget.group`) need a restart at once — typically a shared database or ' +
      'broker went down — and the fleet budget lets only `maxConcurrent` restart at a time (and `maxPerWindow` per ' +
      '`windowSec`), fleet-wide, so the restarts do not keep the dependency down. This service restarts as soon as a lease ' +
      'frees, oldest waiting first; nothing needs to be done. With `onHubUnreachable: wait` and the hub down, nothing ' +
      'restarts automatically until the hub answers again.',
    steps: [
      'See the group: `medic budget` (in flight, used in window, waiting services), the status page, or `budgetGroups` in GraphQL.',
      'Fix the shared dependency first; the waiting services restart on their own once it is back.',
      '**Bypass** for one service (admin override, audited): `medic force <service> --reason …` — an operator restart never waits for the budget but is counted in it.',
      '**Raise** the budget: edit `budget.maxConcurrent` / `budget.maxPerWindow` in the policy and `medic policy apply` (audited as `policy_applied`); the hub takes the newest limits with the next request.',
      '**Remove** the budget for a policy (no fleet-wide limit): delete its `budget` key and apply; local limits still hold.',
    ],
  },
  fix_dependency: {
    title: 'Fix the dependency first',
    meaning:
      'The service is unhealthy while a service it depends on (`dependsOn` in the contract) is not healthy: its ' +
      'automatic restarts are deferred, not refused as churn (nothing enters its window or backoff). When the ' +
      'dependency is healthy again, medic restarts it once (spread by the policy’s jitter), through its own guards.',
    steps: [
      'Look at the dependency the recommendation names: `medic status <dependency>` and its own recommended action.',
      'Fix the dependency; nothing needs to be done for this service — it is restarted once the dependency is healthy.',
      'If it must restart now anyway, **force** a restart (operator restarts are never deferred; it counts as churn).',
    ],
  },
  wait_maintenance: {
    title: 'Wait for the maintenance window to end',
    meaning:
      'The service is unhealthy during a `hold` maintenance window (contract `maintenance:` or ad hoc, ' +
      '`medic maintenance list`): automatic restarts are held, recorded once as `skip_maintenance`, and nothing ' +
      'enters the window or backoff. When the window ends (or is cancelled) the service is handled by its policy at ' +
      'once: a restart through the normal gate if it is still unhealthy.',
    steps: [
      'If the outage is part of the maintenance, nothing to do: the restart follows when the window ends.',
      'To hand it back to its policy now: `medic maintenance cancel <id>` (ad hoc windows).',
      'To restart it now anyway: **force** a restart (operator overrides always work; it counts as churn).',
    ],
  },
};

export const DECISION_TEXTS: Record<DecisionCode, string> = {
  restart:
    'An automatic restart passed the gate (threshold reached, delay over, window has room) and was issued.',
  restart_forced: 'An operator forced a restart. Always executed and audited; it counts as churn.',
  restart_approved: 'An operator approved the one probe restart of an open or half-open circuit.',
  skip_cooldown:
    'A restart was wanted but the cooldown since the last restart is still running (blocked attempt).',
  skip_backoff:
    'A restart was wanted but the backoff delay (longer than the cooldown) is still running (blocked attempt).',
  skip_circuit_open: 'A restart was wanted but the circuit is open (blocked attempt).',
  skip_held: 'A restart was wanted but an operator hold is in place (blocked attempt).',
  skip_dependency_down:
    'A restart was wanted but a dependency (`dependsOn`) is not healthy: deferred until it is, not counted toward the window or backoff.',
  skip_maintenance:
    'A restart was wanted during a `hold` maintenance window: held until the window ends (then through the gate), not counted toward the window or backoff.',
  circuit_opened:
    'The churn limit was reached (maxRestarts in windowSec), a probe restart failed or the exit was fatal (78): the circuit opened.',
  circuit_half_open: 'The open period ended: one probe restart is now allowed.',
  circuit_closed:
    'The service was stable for stableSec while half-open, or an operator reset the circuit: automatic restarts resume.',
  hold_set: 'An operator set (or replaced) a hold with a TTL, owner and reason.',
  hold_released: 'An operator released the hold.',
  hold_expired: 'The hold’s TTL ran out.',
  noop: 'Nothing changed (a passing probe while healthy, a tick with nothing due).',
  failure_counted:
    'A failed probe was counted; the failure threshold is not reached yet (or the state does not act on it).',
  recovered: 'A passing probe ended a restart’s grace or a cooldown: the service is healthy again.',
  restart_succeeded: 'The executor reported that a restart command succeeded (health still decides).',
  restart_failed: 'A restart failed (command error, or still failing when the startup grace ended).',
  clean_exit: 'The main process exited with code 0: a deliberate stop, not churn.',
  external_restart: 'systemd restarted the unit by itself (Restart=, NRestarts grew); counted as churn.',
  not_pending: 'An operator command that does not apply in this state (e.g. approve with no circuit open).',
  dependency_recovered:
    'The dependency a deferred restart waited for is healthy again: the one restart is scheduled, spread by the policy’s jitter.',
  skip_fleet_budget:
    'A restart passed every local limit but its fleet budget (`budget.group`) is full — `maxConcurrent` restarts in flight ' +
    'or `maxPerWindow` used in the window, fleet-wide — or the hub did not answer and the policy says `onHubUnreachable: wait`. ' +
    'Written once per wait with the group’s numbers; the service restarts when a lease frees (oldest waiting first).',
  budget_requested:
    'A restart passed every local limit; the policy names a fleet budget, so the agent asks the hub for a lease first (state budget_wait).',
  budget_counted:
    'An operator restart (forced or approved) of a budgeted service ran at once; the hub counted it in the group (it never waits).',
  budget_released:
    'A fleet budget lease arrived that nothing waits for any more (the service recovered, or an operator acted): it is returned at once.',
};
