/**
 * A policy set: what one policy version holds. `policies` maps a policy name to the full policy
 * (defaults applied); `services` assigns each service a policy name. A service with an inline
 * policy in the contract gets the name `inline:<service>` (contract policy names cannot contain
 * ':', so this never collides).
 *
 * The hash is the sha256 of the canonical JSON (keys sorted at every depth), so the same
 * policies always hash the same, however the file that produced them was ordered.
 */
import { createHash } from 'node:crypto';
import type { Contract } from '../contract/types.js';
import type { Policy } from '../core/policy.js';

export interface PolicySet {
  policies: Record<string, Policy>;
  services: Record<string, string>;
}

export const INLINE_PREFIX = 'inline:';

/** The policy set a contract asks for: its named policies plus one entry per inline policy. */
export function policySetOfContract(contract: Pick<Contract, 'policies' | 'services'>): PolicySet {
  const policies: Record<string, Policy> = { ...contract.policies };
  const services: Record<string, string> = {};
  for (const svc of contract.services) {
    const name = svc.policyName ?? `${INLINE_PREFIX}${svc.name}`;
    if (!svc.policyName || !(name in policies)) policies[name] = svc.policy;
    services[svc.name] = name;
  }
  return { policies, services };
}

/** JSON with object keys sorted at every depth (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Hex sha256 of the canonical JSON. */
export function hashPolicySet(set: PolicySet): string {
  return createHash('sha256').update(canonicalJson(set)).digest('hex');
}

/** The effective policy of one service, or undefined when the set does not name it. */
export function policyOf(set: PolicySet, service: string): Policy | undefined {
  const name = set.services[service];
  return name === undefined ? undefined : set.policies[name];
}

/** Reads a stored version's content back; the shape is checked, not trusted. */
export function policySetOfContent(content: Record<string, unknown>): PolicySet {
  const { policies, services } = content as Partial<PolicySet>;
  if (!policies || typeof policies !== 'object' || !services || typeof services !== 'object') {
    throw new Error('stored policy version has no policies/services map');
  }
  return { policies, services };
}
