/**
 * What the hub's slot notification tells (issue 16), pure: given a group's state, which of the
 * services a node waits for should ask for their lease now, and when capacity frees next without
 * any finish (a lease lapsing at its TTL, a grant leaving the window).
 *
 * `mayAsk` names a service when asking now cannot jump the queue:
 * - it is a waiter the group's free slots would go to (`nextInLine`: the arbiter's own order);
 * - it holds an automatic lease in flight and is not waiting — its request was granted but the
 *   answer never reached it (timed out); asking again with the same request id gets that lease
 *   back (the arbiter is idempotent on the id) instead of the slot staying taken until the TTL.
 *   Once it waits again (asked with another id) it is told only when in line, so never twice;
 * - the hub has no record of it (its request never arrived) and it would be granted now: the free
 *   slots outnumber every waiter (it would be last in line) — as many as the slots left over.
 * Everything else waits on. Telling grants nothing: the arbiter still decides, so a wrong or late
 * notice costs a request, never a slot.
 */
import { type BudgetLimits, type GroupState, inFlight, nextInLine, numbers, prune } from './budget.js';

/** One service a node waits for in one group. */
export interface WaitedFor {
  group: string;
  service: string;
}

const key = (node: string, service: string) => `${node}\u0000${service}`;

/** The services one node waits for in this group. */
export interface NodeWaits {
  node: string;
  services: readonly string[];
}

/**
 * Per node (in the order given: the longest parked first), its services of this group that
 * should ask for their lease now. The unknown services share the slots left over once every
 * waiter has one, across all nodes: never more of them are told than could be granted.
 */
export function mayAsk(
  state: GroupState,
  now: number,
  limits: BudgetLimits,
  nodes: readonly NodeWaits[],
): Map<string, Set<string>> {
  const group = prune(state, now, limits);
  const inLine = new Set(nextInLine(group, now, limits).map((w) => key(w.node, w.service)));
  const waiting = new Set(group.waiters.map((w) => key(w.node, w.service)));
  const holding = new Set(
    group.leases.filter((l) => !l.operator && inFlight(l, now)).map((l) => key(l.node, l.service)),
  );
  const n = numbers(group, now, limits);
  const free = Math.min(limits.maxConcurrent - n.inFlight, limits.maxPerWindow - n.usedInWindow);
  let room = free - group.waiters.length;
  const out = new Map<string, Set<string>>();
  for (const { node, services } of nodes) {
    const named = new Set<string>();
    for (const service of services) {
      const k = key(node, service);
      if (inLine.has(k) || (!waiting.has(k) && holding.has(k))) named.add(service);
      else if (!waiting.has(k) && room > 0) {
        named.add(service);
        room--;
      }
    }
    if (named.size > 0) out.set(node, named);
  }
  return out;
}

/**
 * When the free slots may grow next with nobody finishing a lease: the first in-flight lease's
 * expiry or the oldest grant in the window leaving it, whichever is first; null when neither can
 * happen. The hub checks its waits then (a check that finds nothing new costs one read).
 */
export function nextLapse(state: GroupState, now: number, limits: BudgetLimits): number | null {
  const group = prune(state, now, limits);
  const windowStart = now - limits.windowSec * 1000;
  const times = [
    ...group.leases.filter((l) => inFlight(l, now)).map((l) => l.expiresAt),
    ...group.leases
      .filter((l) => l.grantedAt > windowStart)
      .map((l) => l.grantedAt + limits.windowSec * 1000),
  ];
  return times.length > 0 ? Math.min(...times) : null;
}
