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

/**
 * A dependency on another node (fleet mode) is written `node/name`; a local one is a bare name.
 * Returns the parts, or null for a local name.
 */
export function remoteRef(ref: string): { node: string; name: string } | null {
  const at = ref.indexOf('/');
  if (at < 0) return null;
  return { node: ref.slice(0, at), name: ref.slice(at + 1) };
}

/** What the hub said about a service on another node, as the agent received it (fleet mode). */
export interface RemoteReport {
  /** Its state as its node last shipped it, or null: the hub has no such service. */
  state: ServiceState | null;
  /** How old that state was when the hub answered (ms since its node shipped it). */
  ageMs: number;
  /** Beyond this age the state is stale: the hub's node silence (MEDIC_HUB_SILENCE_SEC). */
  staleAfterMs: number;
}

/** Why a remote dependency's state is unknown. */
export type UnknownReason = 'no_answer' | 'not_reported' | 'stale';

/**
 * What the agent knows of a remote dependency now: its state, or unknown. Unknown is **not down**
 * (the dependent's local limits apply): the hub never answered (`no_answer`), the hub holds no such
 * service (`not_reported`), or the state is older than the node's silence — counting the time
 * since the agent heard it (`elapsedMs`), so a hub that stops answering makes it stale too (`stale`).
 */
export type RemoteVerdict = { known: true; state: ServiceState } | { known: false; reason: UnknownReason };

export function judgeRemote(report: RemoteReport | undefined, elapsedMs: number): RemoteVerdict {
  if (!report) return { known: false, reason: 'no_answer' };
  if (report.state === null) return { known: false, reason: 'not_reported' };
  if (report.ageMs + Math.max(0, elapsedMs) > report.staleAfterMs) return { known: false, reason: 'stale' };
  return { known: true, state: report.state };
}

/** True when the verdict holds a dependents back: a known state that is not up. */
export function remoteDown(v: RemoteVerdict): boolean {
  return v.known && !isUp(v.state);
}

/** Milliseconds (of elapsed time since it was heard) until a known report turns stale, or null. */
export function staleInMs(report: RemoteReport | undefined, elapsedMs: number): number | null {
  if (!report || report.state === null) return null;
  return Math.max(0, report.staleAfterMs - report.ageMs - elapsedMs) + 1;
}
