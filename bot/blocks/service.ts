/** Block Kit text for one service's live state (shared by incidents, /medic status, App Home). */
import type { ServiceInfo } from '../types.js';
import { duration, esc, hhmm, toMs } from './format.js';

export function churnText(s: ServiceInfo): string {
  const c = s.churn;
  return `${c.restartsInWindow} / ${c.maxRestarts} restarts in ${duration(c.windowSec)} (total ${c.totalRestarts}, blocked ${c.blockedAttempts}, circuit opens ${c.circuitOpens})`;
}

export function circuitText(s: ServiceInfo, tz: string): string {
  if (s.circuit.state === 'open') {
    return `open since ${hhmm(s.circuit.openedAt, tz)}, half-open at ${hhmm(s.circuit.reopensAt, tz)}`;
  }
  if (s.circuit.state === 'half_open')
    return `half-open (one probe restart allowed) since ${hhmm(s.circuit.openedAt, tz)}`;
  if (s.cooldown.active && toMs(s.cooldown.until) !== null)
    return `closed; cooldown until ${hhmm(s.cooldown.until, tz)}`;
  return 'closed';
}

export function holdText(s: ServiceInfo, tz: string, mention: (a: string) => string): string {
  if (!s.hold) return 'none';
  return `held by ${mention(s.hold.actor)} until ${hhmm(s.hold.until, tz)} — ${esc(s.hold.reason)}`;
}

/** The maintenance window in force and its end, or null outside one. */
export function maintenanceText(s: ServiceInfo, tz: string): string | null {
  const m = s.maintenance;
  if (!m) return null;
  const what = m.mode === 'hold' ? 'no automatic restarts' : 'decisions recorded, not executed';
  return `:wrench: Maintenance window ${esc(m.name)} (${m.mode}: ${what}) until ${hhmm(m.endsAt, tz)}`;
}

/** For a service waiting for a fleet restart lease: the budget group it waits in, else null. */
export function budgetText(s: ServiceInfo): string | null {
  if (s.state !== 'budget_wait') return null;
  const group = s.policy?.budget?.group;
  return `Fleet budget: waiting for a restart lease in group ${group ? `\`${esc(group)}\`` : '(unknown)'}`;
}

export function recommendedText(s: ServiceInfo): string {
  const r = s.recommendedAction;
  const runbook = r.runbookUrl ? `  <${r.runbookUrl}|Runbook>` : '';
  const command = r.command ? `\n\`${r.command.replace(/`/g, "'")}\`` : '';
  return `*Recommended:* ${esc(r.summary)}${command}${runbook}`;
}

export const STATE_EMOJI: Record<string, string> = {
  healthy: ':large_green_circle:',
  restarting: ':arrows_counterclockwise:',
  cooldown: ':hourglass_flowing_sand:',
  circuit_open: ':red_circle:',
  half_open: ':large_yellow_circle:',
  held: ':double_vertical_bar:',
  deferred: ':link:',
  budget_wait: ':hourglass_flowing_sand:',
};

/** Whether a service needs an operator's attention (App Home, `/medic status`). */
export function needsAttention(s: ServiceInfo): boolean {
  return s.state !== 'healthy' || s.recommendedAction.code !== 'none';
}
