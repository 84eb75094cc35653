/**
 * Parses the text of a policy file (no fs here: the CLI reads the file). Accepted shapes,
 * YAML or JSON (JSON is parsed as YAML 1.2, which it is a subset of):
 * - a single policy object → `{ kind: 'policy', policy }`;
 * - a runtime contract, i.e. a mapping with a `policies:` map → `{ kind: 'contract', policies }`;
 *   each entry is validated under the path `policies.<name>`, and inline service policies
 *   (`services[i].policy` objects) under `services.<i>.policy`. Other contract keys are the
 *   contract loader's business and are not checked here.
 * Every problem is reported at once, each with its path; this function never throws.
 */
import { parseDocument } from 'yaml';
import {
  minSpanForCircuitSec,
  type ParseResult,
  type Policy,
  type PolicyProblem,
  parsePolicy,
  restartSpacingSec,
} from './policy.js';
import { policyShapeOf } from './policy-shape.js';

export type PolicyDocument =
  | { kind: 'policy'; policy: Policy }
  | {
      kind: 'contract';
      policies: Record<string, Policy>;
      inline: Record<string, Policy>;
      /** service name → systemd unit, as far as the contract names them (for commands in output). */
      units: Record<string, string>;
    };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parsePolicyText(text: string): ParseResult<PolicyDocument> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ path: '(file)', message: e.message.split('\n')[0] })),
    };
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value)) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: 'expected a policy object or a contract with `policies:`' }],
    };
  }
  const shape = policyShapeOf(value);
  if (shape === 'policy') {
    const parsed = parsePolicy(value);
    return parsed.ok ? { ok: true, value: { kind: 'policy', policy: parsed.value } } : parsed;
  }
  const problems: PolicyProblem[] = [];
  const policies: Record<string, Policy> = {};
  const inline: Record<string, Policy> = {};
  const units: Record<string, string> = {};
  // A bare map of named policies is validated like a `policies:` map, with paths `<name>.…`.
  const rawPolicies = shape === 'named' ? value : value.policies;
  const prefix = shape === 'named' ? [] : ['policies'];
  if (rawPolicies === undefined && shape === 'contract') {
    // A contract without a policies map: its services carry inline policies (or the default).
  } else if (!isRecord(rawPolicies)) {
    problems.push({ path: 'policies', message: 'expected a map of policy name → policy' });
  } else {
    for (const [name, raw] of Object.entries(rawPolicies)) {
      const parsed = parsePolicy(raw, [...prefix, name]);
      if (parsed.ok) policies[name] = parsed.value;
      else problems.push(...parsed.problems);
    }
  }
  if (shape === 'contract' && Array.isArray(value.services)) {
    value.services.forEach((svc, i) => {
      if (isRecord(svc) && typeof svc.name === 'string' && typeof svc.unit === 'string')
        units[svc.name] = svc.unit;
      if (!isRecord(svc) || !isRecord(svc.policy)) return;
      const parsed = parsePolicy(svc.policy, ['services', i, 'policy']);
      if (parsed.ok) inline[typeof svc.name === 'string' ? svc.name : String(i)] = parsed.value;
      else problems.push(...parsed.problems);
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { kind: 'contract', policies, inline, units } };
}

/** One line describing what a policy does, for `medic policy check`. */
export function describePolicy(p: Policy): string {
  const spacing = Array.from({ length: p.maxRestarts }, (_, i) => restartSpacingSec(p, i + 1));
  return (
    `restart after ${p.failureThreshold} failed probe(s), startup grace ${p.startupGraceSec}s; ` +
    `at most ${p.maxRestarts} restarts per ${p.windowSec}s (circuit can open after ${minSpanForCircuitSec(p)}s of churn); ` +
    `spacing ${spacing.map((s) => `${s}s`).join(', ')}; ` +
    `circuit open ${p.circuit.openSec}s doubling to ${p.circuit.maxOpenSec}s${p.circuit.hardStop ? ', hard stop' : ''}; ` +
    `stable after ${p.stableSec}s; mode ${p.mode}`
  );
}
