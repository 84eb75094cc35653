/**
 * Cross-service references of a contract: `dependsOn` and `restartWith` name other services of
 * the same contract. Checked on the raw document (every problem at once, with its path):
 * unknown names, a service naming itself, duplicates, cycles (reported once each, with the
 * path `api → cache → db → api`), and fleet references `node/name`, which are recognised but
 * not yet supported (the hub offers no per-service health to agents yet; docs/CONTRACT.md).
 */
import type { ContractProblem } from './types.js';

const KEYS = ['dependsOn', 'restartWith'] as const;
type Key = (typeof KEYS)[number];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The names listed under `key` of each service (only strings), by service index. */
function edgesOf(services: unknown[], key: Key): Map<string, { index: number; to: string[] }> {
  const out = new Map<string, { index: number; to: string[] }>();
  services.forEach((svc, index) => {
    if (!isObject(svc) || typeof svc.name !== 'string' || out.has(svc.name)) return;
    const list = Array.isArray(svc[key]) ? svc[key] : [];
    out.set(svc.name, { index, to: list.filter((x): x is string => typeof x === 'string') });
  });
  return out;
}

/** Every elementary cycle found by a depth-first walk, each reported once (by its node set). */
function cycles(graph: Map<string, { to: string[] }>): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const walk = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const cycle = path.slice(at);
      const id = [...cycle].sort().join('\u0000');
      if (!seen.has(id)) {
        seen.add(id);
        found.push([...cycle, node]);
      }
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node)?.to ?? []) if (graph.has(next)) walk(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) walk(node, []);
  return found;
}

export function dependencyProblems(services: unknown[]): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const names = services.flatMap((s) => (isObject(s) && typeof s.name === 'string' ? [s.name] : []));
  const known = new Set(names);
  for (const key of KEYS) {
    services.forEach((svc, i) => {
      if (!isObject(svc) || !Array.isArray(svc[key])) return;
      const listed = new Set<string>();
      (svc[key] as unknown[]).forEach((ref, j) => {
        if (typeof ref !== 'string') return;
        const path = `services.${i}.${key}.${j}`;
        if (ref.includes('/')) {
          problems.push({
            path,
            message:
              key === 'dependsOn'
                ? `'${ref}' names a service on another node (fleet mode); dependencies across nodes are not yet supported`
                : `'${ref}': restartWith names services of this contract only`,
          });
        } else if (!known.has(ref)) {
          problems.push({ path, message: `unknown service '${ref}' (services: ${names.join(', ')})` });
        } else if (ref === svc.name) {
          problems.push({ path, message: `a service cannot list itself in ${key}` });
        } else if (listed.has(ref)) {
          problems.push({ path, message: `'${ref}' is listed twice` });
        }
        listed.add(ref);
      });
    });
    const graph = edgesOf(services, key);
    for (const cycle of cycles(graph)) {
      if (cycle.length <= 2) continue; // a service naming itself is reported above
      const first = graph.get(cycle[0]!)!;
      problems.push({
        path: `services.${first.index}.${key}`,
        message: `${key} cycle: ${cycle.join(' → ')}`,
      });
    }
  }
  return problems;
}
