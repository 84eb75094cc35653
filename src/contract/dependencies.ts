/**
 * Cross-service references of a contract: `dependsOn` and `restartWith` name other services of
 * the same contract. Checked on the raw document (every problem at once, with its path):
 * unknown names, a service naming itself, duplicates, cycles (reported once each, with the
 * path `api → cache → db → api`). `dependsOn` may also name a service on another node,
 * `node/name` (fleet mode: its state comes from the hub; docs/FLEET.md "Dependencies across
 * nodes"); such a reference is checked for its form here, and `fleetDependencyProblems` refuses
 * it when the agent runs without a hub or names its own node.
 */
import type { Contract, ContractProblem } from './types.js';

/** The node part of `node/name`: the grammar of MEDIC_NODE_NAME (src/fleet/protocol.ts). */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `ref` (containing a `/`) is not a well-formed `node/name`, or null. */
function remoteFormProblem(ref: string): string | null {
  const [node, name, ...rest] = ref.split('/');
  if (rest.length > 0 || !node || !name || !NODE_NAME.test(node) || node.length > 200 || name.length > 200)
    return `'${ref}' is not a service on another node: write node/name (the node as in MEDIC_NODE_NAME)`;
  return null;
}

/**
 * The `node/name` dependencies of a contract this agent cannot follow: without a hub
 * (MEDIC_HUB_URL unset) there is no way to learn another node's state; naming this very node
 * is a local dependency written the long way (and would never be found at the hub's answer).
 * Reported like every contract problem (exit 2).
 */
export function fleetDependencyProblems(
  contract: Pick<Contract, 'services'>,
  env: { hub: boolean; node: string },
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  contract.services.forEach((svc, i) => {
    (svc.dependsOn ?? []).forEach((ref, j) => {
      const at = ref.indexOf('/');
      if (at < 0) return;
      const path = `services.${i}.dependsOn.${j}`;
      if (!env.hub)
        problems.push({
          path,
          message: `'${ref}' names a service on node ${ref.slice(0, at)}: a dependency on another node needs fleet mode (set MEDIC_HUB_URL and MEDIC_HUB_TOKEN), or remove it`,
        });
      else if (ref.slice(0, at) === env.node)
        problems.push({
          path,
          message: `'${ref}' names this node (MEDIC_NODE_NAME=${env.node}): write '${ref.slice(at + 1)}'`,
        });
    });
  });
  return problems;
}

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
          // A fleet dependency (`node/name`): checked here for its form; whether this agent
          // runs with a hub is checked where the environment is known (fleetDependencyProblems).
          const bad = key === 'dependsOn' ? remoteFormProblem(ref) : null;
          if (key === 'restartWith')
            problems.push({ path, message: `'${ref}': restartWith names services of this contract only` });
          else if (bad) problems.push({ path, message: bad });
          else if (listed.has(ref)) problems.push({ path, message: `'${ref}' is listed twice` });
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
