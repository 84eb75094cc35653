/**
 * The one recommended operator action for a state (DESIGN.md): a code, a one-line summary with
 * the concrete command, the command alone, and a stable runbook anchor. It follows from the
 * state alone, so Slack, GraphQL, /status and `policy simulate` always agree.
 */
import { remoteRef } from './dependency.js';
import type { Policy } from './policy.js';
import { runbookAnchor } from './runbook-anchors.js';
import type { RecommendedAction, RecommendedActionCode, ServiceState } from './types.js';

export interface ServiceRef {
  name: string;
  unit: string;
}

function inSec(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))}s`;
}

function action(code: RecommendedActionCode, summary: string, command: string): RecommendedAction {
  return { code, summary, command, anchor: runbookAnchor(code) };
}

export function recommend(
  state: ServiceState,
  policy: Policy,
  svc: ServiceRef,
  now: number,
): RecommendedAction {
  const journal = `journalctl -u ${svc.unit} -n 200`;
  switch (state.tag) {
    case 'healthy':
      return action('none', `${svc.name} is healthy; nothing to do.`, `systemctl status ${svc.unit}`);
    case 'restarting':
      return action(
        'watch_restart',
        `${svc.name} is restarting (${state.initiator}${state.probe ? ', probe' : ''}); startup grace ends in ` +
          `${inSec(state.graceUntil - now)}. Watch \`journalctl -u ${svc.unit} -f\`.`,
        `journalctl -u ${svc.unit} -f`,
      );
    case 'cooldown':
      if (state.cause === 'maintenance') {
        return action(
          'wait_maintenance',
          `${svc.name} is unhealthy during a maintenance window (hold): no automatic restart until it ends in ` +
            `${inSec(state.until - now)}; then its policy handles it (a restart through the gate). Force a restart ` +
            `now if needed, or end the window: \`medic maintenance list\`.`,
          'medic maintenance list',
        );
      }
      return action(
        'wait_cooldown',
        `${svc.name} is unhealthy; the next automatic restart is in ${inSec(state.until - now)} (${state.cause}). ` +
          `Meanwhile inspect \`${journal}\`; hold it if restarting will not help.`,
        journal,
      );
    case 'circuit_open':
      if (state.cause === 'start_limit_hit') {
        return action(
          'reset_failed',
          `systemd refused to start ${svc.unit}: start-limit-hit (more than StartLimitBurst starts within ` +
            `StartLimitIntervalSec), and refuses every start until \`systemctl reset-failed ${svc.unit}\` or the ` +
            `interval passes. Inspect \`${journal}\`, run reset-failed, then approve one probe restart ` +
            `(\`medic\` / Slack). So the limit stops fighting medic's policy: StartLimitIntervalSec=0 in the unit.`,
          `systemctl reset-failed ${svc.unit}`,
        );
      }
      return action(
        'inspect_and_approve',
        `Circuit open for ${svc.name} (${state.cause}): inspect \`${journal}\`, then approve one probe restart ` +
          `(\`medic\` / Slack) or hold. Half-open in ${inSec(state.reopensAt - now)}.`,
        journal,
      );
    case 'half_open':
      return state.probeUsed
        ? action(
            'watch_probe',
            `${svc.name} passed its probe restart; the circuit closes after ${policy.stableSec}s of health. ` +
              `Watch \`journalctl -u ${svc.unit} -f\`.`,
            `journalctl -u ${svc.unit} -f`,
          )
        : action(
            'watch_probe',
            `${svc.name} is half-open: one probe restart will be tried when it fails; approve it now ` +
              `(\`medic\` / Slack) or inspect \`${journal}\` first.`,
            journal,
          );
    case 'deferred': {
      // A dependency on another node (fleet mode) is looked at through the hub: `--node`.
      const remote = remoteRef(state.dependency);
      const look = remote
        ? `medic status ${remote.name} --node ${remote.node}`
        : `medic status ${state.dependency}`;
      return action(
        'fix_dependency',
        `${svc.name} is unhealthy because its dependency ${state.dependency} is not healthy: fix ` +
          `${state.dependency} first (\`${look}\`). ${svc.name} is restarted once ` +
          (state.restartAt === null
            ? `${state.dependency} is healthy again.`
            : `more, in ${inSec(state.restartAt - now)}.`),
        look,
      );
    }
    case 'budget_wait': {
      const n = state.denied;
      const numbers = n
        ? ` (${n.inFlight} in flight, ${n.usedInWindow} used in window, ${n.waiting} waiting)`
        : '';
      return action(
        'wait_fleet_budget',
        state.unreachable
          ? `${svc.name} waits for the hub (${state.unreachable}): its fleet budget ${state.group} says onHubUnreachable: wait. ` +
              `Bring the hub back, or restart it yourself: \`medic force ${svc.name} --reason …\` (counted, never waits).`
          : `${svc.name} waits for a restart lease in fleet budget ${state.group}${numbers}; it restarts when one frees ` +
              `(oldest waiting first). See \`medic budget\`; to bypass: \`medic force ${svc.name} --reason …\` (counted, audited).`,
        'medic budget',
      );
    }
    case 'held':
      return action(
        'review_hold',
        `Automatic restarts of ${svc.name} are held by ${state.actor} (${state.reason}) for another ` +
          `${inSec(state.until - now)}; release the hold when the fix is in (\`medic\` / Slack).`,
        `systemctl status ${svc.unit}`,
      );
  }
}
