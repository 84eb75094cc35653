/**
 * Cross-field rules of a contract, run on the raw document next to the zod schema so that every
 * problem is reported at once: each policy (named or inline) passes src/core/policy.ts including
 * its feasibility check, policy references resolve, service names and units are unique.
 */
import { parsePolicy } from '../core/policy.js';
import { dependencyProblems } from './dependencies.js';
import { maintenanceProblems } from './maintenance/contract.js';
import type { ContractProblem } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function crossCheck(raw: unknown): ContractProblem[] {
  if (!isObject(raw)) return [];
  const problems: ContractProblem[] = [];
  const policies = isObject(raw.policies) ? raw.policies : {};
  for (const [name, value] of Object.entries(policies)) {
    const result = parsePolicy(value ?? {}, ['policies', name]);
    if (!result.ok) problems.push(...result.problems);
  }
  problems.push(...maintenanceProblems(raw));
  if (!Array.isArray(raw.services)) return problems;
  problems.push(...dependencyProblems(raw.services));
  const names = new Map<string, number>();
  const units = new Map<string, number>();
  raw.services.forEach((svc, i) => {
    if (!isObject(svc)) return;
    for (const [key, seen] of [
      ['name', names],
      ['unit', units],
    ] as const) {
      const value = svc[key];
      if (typeof value !== 'string') continue;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      else
        problems.push({
          path: `services.${i}.${key}`,
          message: `duplicate ${key} '${value}' (also services.${first})`,
        });
    }
    const policy = svc.policy;
    if (typeof policy === 'string') {
      if (!Object.hasOwn(policies, policy)) {
        const known = Object.keys(policies);
        problems.push({
          path: `services.${i}.policy`,
          message: `unknown policy '${policy}'${known.length ? ` (defined: ${known.join(', ')})` : ' (no policies defined)'}`,
        });
      }
    } else if (isObject(policy)) {
      const result = parsePolicy(policy, ['services', i, 'policy']);
      if (!result.ok) problems.push(...result.problems);
    }
  });
  return problems;
}
