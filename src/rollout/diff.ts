/**
 * Key-by-key difference between two policy sets (the active version and a candidate), and the
 * services whose effective policy changes (the ones `policy apply` replays).
 */
import { canonicalJson, type PolicySet, policyOf } from './policy-set.js';

export interface Change {
  /** Dotted path, e.g. `policies.default.backoff.maxSec` or `services.api`. */
  path: string;
  /** undefined = key absent on that side. */
  from: unknown;
  to: unknown;
}

export interface PolicySetDiff {
  changes: Change[];
  /** Services whose effective policy differs (including added and removed services). */
  affected: string[];
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Descends while both sides are maps, so an added or removed policy is one change, not twenty. */
function walk(a: unknown, b: unknown, path: string, out: Change[]): void {
  if (isMap(a) && isMap(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    }
  } else if (canonicalJson(a) !== canonicalJson(b)) {
    out.push({ path, from: a, to: b });
  }
}

export function diffPolicySets(from: PolicySet | null, to: PolicySet): PolicySetDiff {
  const changes: Change[] = [];
  walk(from ?? { policies: {}, services: {} }, to, '', changes);
  const names = new Set([...Object.keys(from?.services ?? {}), ...Object.keys(to.services)]);
  const affected = [...names]
    .filter((svc) => {
      const p = from ? policyOf(from, svc) : undefined;
      const q = policyOf(to, svc);
      return canonicalJson(p ?? null) !== canonicalJson(q ?? null);
    })
    .sort();
  return { changes, affected };
}

const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));

/** One line per change: `path: from → to`. */
export function formatChanges(changes: Change[]): string[] {
  return changes.map((c) => `  ${c.path}: ${show(c.from)} → ${show(c.to)}`);
}
