/**
 * The answer to `/medic drift` (the agent's bot and the hub's): the contract's last drift
 * report in a few lines — none configured, not checked yet, no drift, or the first 40 findings
 * with their fixes (the rest counted). Pure.
 */
import type { DriftInfo } from '../graphql/ops.js';
import { esc } from './format.js';

export function driftReply(
  contract: DriftInfo | null,
  noContract = 'No runtime contract is configured.',
): string {
  if (!contract) return noContract;
  const drift = contract.drift;
  if (!drift) return `Contract \`${esc(contract.path)}\`: no drift check has run yet.`;
  if (drift.ok) return `:white_check_mark: No drift (checked ${drift.checkedAt}).`;
  const lines = drift.findings
    .slice(0, 40)
    .map(
      (f) =>
        `• *${f.source}* ${esc(f.service ?? '')} \`${esc(f.field)}\`: expected \`${esc(String(f.expected))}\`, actual \`${esc(String(f.actual))}\`${f.fix ? ` — fix: \`${f.fix}\`` : ''}`,
    );
  const more =
    drift.findings.length > 40 ? `\n…and ${drift.findings.length - 40} more (\`medic contract check\`).` : '';
  return `:warning: ${drift.findings.length} drift findings:\n${lines.join('\n')}${more}`.slice(0, 3000);
}
