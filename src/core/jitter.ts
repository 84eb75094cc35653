/**
 * The policy's `jitter` (issue 16's key, used by issue 18): restart delays are stretched by up
 * to `jitter` (0.25 = up to 25 %), spread per node and service. The spread is deterministic —
 * derived from node, service and the service's restart count — so decide() stays pure and a
 * replay with the same names reproduces it.
 *
 * Contract:
 * - `jitterUnit(key, count)` ∈ [0, 1), the same for the same arguments on every machine;
 * - `stretchSec(sec, jitter, key, count)` ∈ [sec, sec × (1 + jitter)): a delay only ever grows,
 *   so every lower bound of the policy (cooldown, backoff) still holds; its upper bound grows by
 *   at most the factor `1 + jitter` (the feasibility check in policy.ts accounts for it);
 * - jitter 0 (the default) changes nothing.
 *
 * The hash is 32-bit FNV-1a over the UTF-16 code units: a few lines, stable, and spreads short
 * keys that differ only in a trailing digit (`api-1`, `api-2`) well enough for spacing restarts;
 * it is not cryptographic and need not be.
 */

/** Whose delay is stretched: the seed of the spread. */
export interface JitterKey {
  node: string;
  service: string;
}

export const NO_KEY: JitterKey = { node: '', service: '' };

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  // A final avalanche (murmur3's fmix32) so neighbouring keys land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) fixed by node, service and restart count. */
export function jitterUnit(key: JitterKey, count: number): number {
  return fnv1a(`${key.node}\u0000${key.service}\u0000${count}`) / 2 ** 32;
}

/** `sec` stretched by up to `jitter` × sec for this key and restart count. */
export function stretchSec(sec: number, jitter: number, key: JitterKey, count: number): number {
  if (jitter <= 0 || sec <= 0) return sec;
  return sec * (1 + jitter * jitterUnit(key, count));
}
