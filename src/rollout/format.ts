/** Plain-text rendering of diffs, replay comparisons and shadow reports for the CLI. */
import type { Input } from '../core/types.js';
import type { PolicyVersion } from '../store/types.js';
import type { ServiceComparison, SideStats } from './compare.js';
import type { ApplyPlan } from './gate.js';
import type { ShadowReport } from './shadow.js';

export const iso = (ms: number) => new Date(ms).toISOString();

export function describeVersion(v: PolicyVersion): string {
  return `version ${v.version} (sha256 ${v.hash.slice(0, 12)}, ${iso(v.createdAt)}, by ${v.author}: "${v.reason}")`;
}

function describeInput(input: Input): string {
  switch (input.type) {
    case 'exited':
      return `exited code=${input.code}`;
    case 'external_restart':
      return `external_restart count=${input.count}`;
    case 'hold':
      return `hold ttl=${input.ttlSec}s by ${input.actor}`;
    case 'release':
    case 'approve':
    case 'force_restart':
    case 'reset_circuit':
    case 'restart_requested':
      return `${input.type} by ${input.actor}`;
    default:
      return input.type;
  }
}

function blockedText(s: SideStats): string {
  const parts = Object.entries(s.blockedByReason).map(([r, n]) => `${r} ${n}`);
  return parts.length ? `${s.blocked} (${parts.join(', ')})` : String(s.blocked);
}

/** Lines for one service; `a`/`b` name the two sides (active/candidate or enforced/shadow). */
export function comparisonLines(c: ServiceComparison, a = 'active', b = 'candidate'): string[] {
  const lines = [
    `service ${c.service}: ${c.inputs} recorded inputs replayed`,
    `  restarts:         ${a} ${c.active.restarts}, ${b} ${c.candidate.restarts} → ${c.restartsAdded} added, ${c.restartsAvoided} avoided`,
    `  circuits opened:  ${a} ${c.active.circuitsOpened}, ${b} ${c.candidate.circuitsOpened} → ${c.circuitsAdded} added, ${c.circuitsAvoided} avoided`,
    `  blocked attempts: ${a} ${blockedText(c.active)}, ${b} ${blockedText(c.candidate)}`,
  ];
  const d = c.firstDivergence;
  if (!d) lines.push('  no diverging input: the same decisions throughout');
  else {
    lines.push(
      `  ${c.divergingSteps} diverging inputs; first at ${iso(d.at)} ${describeInput(d.input)}:`,
      `    ${a}: ${d.active.decisions.join(' then ') || '(nothing)'} → ${d.active.state}`,
      `    ${b}: ${d.candidate.decisions.join(' then ') || '(nothing)'} → ${d.candidate.state}`,
    );
  }
  return lines;
}

export function planLines(plan: ApplyPlan, changeLines: string[]): string[] {
  const lines: string[] = [];
  lines.push(
    plan.active ? `active: ${describeVersion(plan.active.version)}` : 'active: none (no version applied yet)',
  );
  lines.push(`candidate: sha256 ${plan.candidateHash.slice(0, 12)}`);
  if (plan.unchanged) return [...lines, 'no changes: the candidate equals the active version'];
  lines.push('changes:', ...changeLines);
  lines.push(`affected services: ${plan.affected.join(', ') || 'none'}`);
  if (plan.added.length) lines.push(`new services (nothing recorded to replay): ${plan.added.join(', ')}`);
  lines.push(
    `replay: ${plan.replayedInputs} recorded inputs from ${iso(plan.period.since)} to ${iso(plan.period.until)}`,
  );
  for (const c of plan.comparisons) lines.push(...comparisonLines(c));
  return lines;
}

export function reportLines(r: ShadowReport): string[] {
  const rec = r.recorded;
  return [
    `shadow report for ${r.service}, ${iso(r.period.since)} → ${iso(r.period.until)}`,
    `  shadow:   ${r.shadow.source}`,
    `  enforced: ${r.enforced.source}`,
    `recorded: ${rec.decisions} decisions (${rec.enforceMode} enforce-mode, ${rec.shadowMode} shadow-mode); ` +
      `${rec.restartsExecuted} restarts executed by medic, ${rec.externalRestarts} by systemd itself`,
    rec.shadowMode ? '' : '  (no shadow-mode decisions were recorded in the period)',
    `  replay with the versions as applied reproduces ${rec.reproduced} of ${rec.checked} recorded decisions`,
    'replayed side by side (enforced vs shadow):',
    ...comparisonLines(r.comparison, 'enforced', 'shadow'),
  ].filter(Boolean);
}
