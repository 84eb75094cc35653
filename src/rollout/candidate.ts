/**
 * Reads the candidate of `policy diff|apply`: FILE is either a runtime contract (recognized by
 * its `services:` list) or a policies file:
 *
 * ```yaml
 * policies: { default: { cooldownSec: 120 }, batch: { maxRestarts: 5, windowSec: 1800 } }
 * services: { api: default, worker: batch }   # optional; missing services keep their assignment
 * ```
 * A bare map of policies (without the `policies:` key) is accepted too, and so is one policy
 * (`{ cooldownSec: 60 }`: every service of the active version gets it; core/policy-shape.ts). Policy names in a
 * policies file follow the contract's rule plus the `inline:<service>` names versions use.
 * Validation reports every problem at once (`CandidateError.problems`), never the first only.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ContractError, parseContract } from '../contract/load.js';
import { type Policy, parsePolicy } from '../core/policy.js';
import { policyShapeOf } from '../core/policy-shape.js';
import { type PolicySet, policySetOfContract } from './policy-set.js';

export interface Problem {
  path: string;
  message: string;
}

export class CandidateError extends Error {
  readonly code = 'POLICY_INVALID';
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(`invalid policies in ${file}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
  }
}

const NAME = /^(inline:)?[A-Za-z0-9_-]+$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses candidate text. `base` (the active set) supplies service assignments a policies file
 * leaves out. Throws CandidateError.
 */
export function parseCandidate(text: string, file: string, base: PolicySet | null): PolicySet {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new CandidateError(file, [{ path: '(yaml)', message: (err as Error).message.split('\n')[0] }]);
  }
  if (isObject(raw) && Array.isArray(raw.services)) {
    try {
      return policySetOfContract(parseContract(text, file));
    } catch (err) {
      if (err instanceof ContractError) throw new CandidateError(file, err.problems);
      throw err;
    }
  }
  if (!isObject(raw))
    throw new CandidateError(file, [{ path: '(root)', message: 'expected a map of policies' }]);
  if (policyShapeOf(raw) === 'policy') return singlePolicy(raw, file, base);
  const wrapped = 'policies' in raw;
  const problems: Problem[] = [];
  if (wrapped) {
    for (const key of Object.keys(raw)) {
      if (key !== 'policies' && key !== 'services') problems.push({ path: key, message: 'unknown key' });
    }
  }
  const rawPolicies = wrapped ? raw.policies : raw;
  const rawServices = wrapped ? raw.services : undefined;
  const policies: Record<string, Policy> = {};
  if (!isObject(rawPolicies)) {
    problems.push({ path: 'policies', message: 'expected a map of policy name → policy' });
  } else {
    for (const [name, value] of Object.entries(rawPolicies)) {
      const prefix = wrapped ? ['policies', name] : [name];
      if (!NAME.test(name))
        problems.push({ path: prefix.join('.'), message: 'a policy name is [A-Za-z0-9_-]+' });
      const parsed = parsePolicy(value ?? {}, prefix);
      if (parsed.ok) policies[name] = parsed.value;
      else problems.push(...parsed.problems);
    }
  }
  const services: Record<string, string> = { ...(base?.services ?? {}) };
  if (rawServices !== undefined) {
    if (!isObject(rawServices))
      problems.push({ path: 'services', message: 'expected a map of service → policy name' });
    else {
      for (const [svc, name] of Object.entries(rawServices)) {
        if (typeof name !== 'string')
          problems.push({ path: `services.${svc}`, message: 'expected a policy name' });
        else services[svc] = name;
      }
    }
  }
  // Policies the file does not define are inherited from the active version when a service uses them.
  for (const name of new Set(Object.values(services))) {
    const inherited = base?.policies[name];
    if (!(name in policies) && inherited) policies[name] = inherited;
  }
  for (const [svc, name] of Object.entries(services)) {
    if (isObject(rawPolicies) && !(name in policies)) {
      problems.push({ path: `services.${svc}`, message: `policy '${name}' is not defined` });
    }
  }
  if (Object.keys(services).length === 0) {
    problems.push({
      path: 'services',
      message: 'no service is assigned a policy (no active version to inherit from)',
    });
  }
  if (problems.length > 0) throw new CandidateError(file, problems);
  return { policies, services };
}

/**
 * One policy (the shape `medic policy check` has always accepted): it becomes the policy
 * `default`, and every service of the active version runs with it.
 */
function singlePolicy(raw: Record<string, unknown>, file: string, base: PolicySet | null): PolicySet {
  const parsed = parsePolicy(raw);
  const services = Object.fromEntries(Object.keys(base?.services ?? {}).map((svc) => [svc, 'default']));
  const problems: Problem[] = parsed.ok ? [] : [...parsed.problems];
  if (Object.keys(services).length === 0) {
    problems.push({
      path: '(root)',
      message: 'a single policy applies to the services of the active version, and there is none yet',
    });
  }
  if (problems.length > 0 || !parsed.ok) throw new CandidateError(file, problems);
  return { policies: { default: parsed.value }, services };
}

/** Reads FILE (relative to cwd) and parses it as a candidate. Throws CandidateError. */
export async function loadCandidate(path: string, cwd: string, base: PolicySet | null): Promise<PolicySet> {
  const abs = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new CandidateError(abs, [
      { path: '(file)', message: `cannot read ${abs}: ${(err as Error).message}` },
    ]);
  }
  return parseCandidate(text, abs, base);
}
