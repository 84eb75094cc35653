/**
 * Which of the accepted policy-file shapes a parsed YAML/JSON document is. `medic policy check`,
 * `simulate`, `diff` and `apply` all accept the same four:
 * - `contract`: a runtime contract (a `services:` list, optionally a `policies:` map);
 * - `policies`: `{ policies: {name: policy}, services?: {service: name} }`;
 * - `policy`: one policy (every key is a policy field, e.g. `{ cooldownSec: 60 }`, or `{}`);
 * - `named`: a bare map of named policies (`{ default: {…}, batch: {…} }`).
 * Anything else (a list, a scalar) is `invalid`.
 */
import { policyShape } from './policy.js';

export type PolicyShape = 'contract' | 'policies' | 'policy' | 'named' | 'invalid';

const POLICY_KEYS = new Set(Object.keys(policyShape.shape));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function policyShapeOf(value: unknown): PolicyShape {
  if (!isRecord(value)) return 'invalid';
  if (Array.isArray(value.services)) return 'contract';
  if ('policies' in value) return 'policies';
  const keys = Object.keys(value);
  // A key that is no policy field whose value is a map: a named policy (e.g. `default: {}`).
  if (keys.some((k) => !POLICY_KEYS.has(k) && isRecord(value[k]))) return 'named';
  return 'policy';
}
