/**
 * Dependencies between services (`dependsOn` in the contract), as the engine tells decide():
 * which dependency, if any, is not healthy now.
 *
 * A dependency is **up** when it is healthy, or half-open with its probe restart passing its
 * probes (the circuit waits `stableSec` to close, but the service works: its dependents need not
 * wait that long). Everything else — failing below or at the threshold in cooldown, restarting,
 * circuit open, held, itself deferred — is **down**, so a chain (api → cache → db) recovers in
 * dependency order by itself: cache restarts once db is up, api once cache is.
 */
import type { ServiceState, Surroundings } from './types.js';

export function isUp(s: ServiceState): boolean {
  if (s.tag === 'healthy') return true;
  return s.tag === 'half_open' && s.stableSince !== null && s.failures === 0;
}

/**
 * The first of `deps` (in their order) whose state is down, skipping `ignore` (the service whose
 * restart a `restart_with` follows) and names without a state (unknown here: not this node's).
 */
export function firstDown(
  deps: readonly string[],
  stateOf: (name: string) => ServiceState | undefined,
  ignore?: string,
): Surroundings['dependencyDown'] {
  for (const name of deps) {
    if (name === ignore) continue;
    const s = stateOf(name);
    if (s && !isUp(s)) return { name, state: s.tag };
  }
  return undefined;
}
