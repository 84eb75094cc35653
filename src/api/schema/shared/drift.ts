/**
 * The runtime contract and its drift report (`RuntimeContract`, `DriftReport`, `DriftFinding`),
 * the same on the agent (its own contract) and the hub (a node's, as its agent shipped it or
 * answered `checkDrift`).
 */
import type { ContractInspection, DriftFinding, DriftReport } from '../ports.js';
import { perBuilder } from './builder.js';

/** `runtimeContract` as both schemas answer it. */
export interface RuntimeContractShape extends ContractInspection {
  path: string;
  drift: DriftReport | null;
}

/** Findings may carry non-string values (numbers, lists); show them as text. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const driftTypes = perBuilder((builder) => {
  const FindingSourceEnum = builder.enumType('FindingSource', {
    description:
      'systemd: live `systemctl show`; fs: conda prefix and interpreter; repo: unit templates and scripts.',
    values: ['systemd', 'fs', 'repo'] as const,
  });
  const SeverityEnum = builder.enumType('Severity', { values: ['error', 'warning'] as const });

  const FindingRef = builder.objectRef<DriftFinding>('DriftFinding').implement({
    fields: (t) => ({
      source: t.field({ type: FindingSourceEnum, resolve: (f) => f.source }),
      service: t.exposeString('service', { nullable: true }),
      field: t.exposeString('field'),
      expected: t.string({ nullable: true, resolve: (f) => text(f.expected) }),
      actual: t.string({ nullable: true, resolve: (f) => text(f.actual) }),
      severity: t.field({ type: SeverityEnum, resolve: (f) => f.severity }),
      fix: t.exposeString('fix', { nullable: true }),
    }),
  });

  const DriftReportRef = builder.objectRef<DriftReport>('DriftReport').implement({
    fields: (t) => ({
      ok: t.exposeBoolean('ok'),
      checkedAt: t.field({ type: 'DateTime', resolve: (r) => r.checkedAt }),
      findings: t.field({ type: [FindingRef], resolve: (r) => r.findings }),
    }),
  });

  const RuntimeContractRef = builder.objectRef<RuntimeContractShape>('RuntimeContract').implement({
    fields: (t) => ({
      path: t.exposeString('path'),
      valid: t.exposeBoolean('valid'),
      errors: t.exposeStringList('errors'),
      services: t.exposeStringList('services'),
      drift: t.field({
        type: DriftReportRef,
        nullable: true,
        description: 'The latest drift check, or null before the first one.',
        resolve: (c) => c.drift,
      }),
    }),
  });
  return { DriftReportRef, RuntimeContractRef };
});
