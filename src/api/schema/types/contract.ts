/**
 * `runtimeContract`: is the contract file valid, which services it declares, and the latest drift
 * report (from the periodic check or the `checkDrift` mutation). Null when no contract is configured.
 */

import { builder } from '../builder.js';
import type { ContractInspection, DriftFinding, DriftReport } from '../ports.js';

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

/** Findings may carry non-string values (numbers, lists); show them as text. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const DriftReportRef = builder.objectRef<DriftReport>('DriftReport').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    checkedAt: t.field({ type: 'DateTime', resolve: (r) => r.checkedAt }),
    findings: t.field({ type: [FindingRef], resolve: (r) => r.findings }),
  }),
});

interface RuntimeContractShape extends ContractInspection {
  path: string;
  drift: DriftReport | null;
}

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

builder.queryField('runtimeContract', (t) =>
  t.field({
    type: RuntimeContractRef,
    nullable: true,
    description: 'The runtime contract medic runs under (null when none is configured).',
    resolve: async (_root, _args, { contract }) => {
      if (!contract) return null;
      const inspection = await contract.inspect();
      return { path: contract.path, ...inspection, drift: contract.lastDrift() };
    },
  }),
);
