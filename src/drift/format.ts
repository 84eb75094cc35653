/** Human-readable drift report: a table per service, the fix under each finding. */

import type { Contract } from '../contract/types.js';
import type { DriftReport, DriftSource, Finding } from './types.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatReport(
  report: DriftReport,
  contract: Contract,
  sources: readonly DriftSource[],
): string {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const lines: string[] = [];
  if (report.findings.length === 0) {
    lines.push(
      `no drift: ${contract.services.length} service(s) match ${contract.file} (checked ${sources.join(', ')} at ${report.checkedAt})`,
    );
    return lines.join('\n');
  }
  lines.push(
    `${report.ok ? 'no drift, but' : 'DRIFT:'} ${errors} error(s), ${warnings} warning(s) against ${contract.file} (checked ${sources.join(', ')} at ${report.checkedAt})`,
  );
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) groups.set(f.service, [...(groups.get(f.service) ?? []), f]);
  const order = [...contract.services.map((s) => s.name), '*'].filter((n) => groups.has(n));
  for (const name of [...order, ...[...groups.keys()].filter((n) => !order.includes(n))]) {
    const svc = contract.services.find((s) => s.name === name);
    lines.push(
      '',
      name === '*' ? 'all services (conda environment, shared files)' : `${name} (${svc?.unit ?? '?'})`,
    );
    const rows = groups.get(name)!;
    const w = {
      sev: 7,
      src: 7,
      field: Math.min(48, Math.max(5, ...rows.map((r) => r.field.length))),
    };
    lines.push(`  ${pad('LEVEL', w.sev)} ${pad('SOURCE', w.src)} ${pad('FIELD', w.field)} EXPECTED → ACTUAL`);
    for (const f of rows) {
      lines.push(
        `  ${pad(f.severity, w.sev)} ${pad(f.source, w.src)} ${pad(f.field, w.field)} ${f.expected} → ${f.actual}`,
      );
      lines.push(`  ${' '.repeat(w.sev + w.src + 2)}fix: ${f.fix}`);
    }
  }
  return lines.join('\n');
}
