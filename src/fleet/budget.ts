/**
 * The fleet restart budget's arbiter (issue 16), pure: given a group's leases and waiters, a lease
 * request and the time, it says granted or denied (with when to ask again) and returns the group's
 * next state. The hub runs it inside one PostgreSQL transaction that holds the group's row lock, so
 * requests of one group are arbitrated one at a time and the state it sees is current.
 *
 * The promises (test/fleet/budget.test.ts checks them on random interleavings):
 * - at most `maxConcurrent` automatic leases are in flight at any time (a lease is in flight from
 *   its grant until it is finished or its TTL passes — a dead agent cannot hold the budget);
 * - at most `maxPerWindow` automatic leases are granted in any `windowSec`;
 * - operator restarts (forced, approved) are granted at once but count in both limits, so an
 *   operator can exceed the budget and automatic restarts wait for it to drain;
 * - idempotent on the request id: a retried request gets its lease back while it is in flight;
 *   an id whose lease has ended or lapsed is never granted again (it is denied like any request
 *   that must wait: the agent's next request brings a fresh id);
 * - fairness: an automatic request is granted only when the free slots outnumber the services
 *   that have been waiting longer (their slots stay reserved for them: oldest waiting first); a
 *   waiter that stops asking for a lease TTL is forgotten.
 */

export interface BudgetLimits {
  maxConcurrent: number;
  maxPerWindow: number;
  windowSec: number;
  /** A lease not finished after this long stops counting as in flight. */
  leaseTtlSec: number;
}

export interface Lease {
  id: string;
  node: string;
  service: string;
  grantedAt: number;
  /** When the lease stops counting as in flight if nobody finishes it. */
  expiresAt: number;
  /** When the restart's outcome was reported (null while in flight). */
  endedAt: number | null;
  operator: boolean;
}

export interface Waiter {
  node: string;
  service: string;
  /** When it first asked in this wait. */
  since: number;
  /** When it last asked: a waiter silent for a lease TTL is dropped. */
  seenAt: number;
}

/** Everything the arbiter needs of one group; leases older than the window may be pruned. */
export interface GroupState {
  leases: Lease[];
  waiters: Waiter[];
  /**
   * Ids of leases the state does not hold (pruned, or of another group) that exist nonetheless:
   * never granted (the hub reads them for the ids it is asked for; pruning alone forgot them).
   */
  spent?: readonly string[];
}

export interface LeaseRequest {
  /** The lease id to use when granted (minted by the caller, so a retry is idempotent). */
  id: string;
  node: string;
  service: string;
  /** A forced or approved restart: granted at once, counted. */
  operator: boolean;
}

export interface GroupNumbers {
  inFlight: number;
  usedInWindow: number;
  waiting: number;
}

export type LeaseAnswer =
  | { granted: true; lease: Lease; numbers: GroupNumbers }
  | { granted: false; retryAt: number; position: number; numbers: GroupNumbers };

const key = (node: string, service: string) => `${node}/${service}`;

export function inFlight(lease: Lease, now: number): boolean {
  return lease.endedAt === null && lease.expiresAt > now;
}

/** Drops leases that can no longer count (ended or expired, and granted before the window) and silent waiters. */
export function prune(group: GroupState, now: number, limits: BudgetLimits): GroupState {
  const windowStart = now - limits.windowSec * 1000;
  const leases: Lease[] = [];
  // A pruned lease's id stays spent (it is still in the lease table).
  const dropped: string[] = [];
  for (const l of group.leases) {
    if (inFlight(l, now) || l.grantedAt > windowStart) leases.push(l);
    else dropped.push(l.id);
  }
  return {
    leases,
    waiters: group.waiters.filter((w) => now - w.seenAt < limits.leaseTtlSec * 1000),
    ...(dropped.length > 0 || group.spent ? { spent: [...(group.spent ?? []), ...dropped] } : {}),
  };
}

export function numbers(group: GroupState, now: number, limits: BudgetLimits): GroupNumbers {
  const windowStart = now - limits.windowSec * 1000;
  return {
    inFlight: group.leases.filter((l) => inFlight(l, now)).length,
    usedInWindow: group.leases.filter((l) => l.grantedAt > windowStart).length,
    waiting: group.waiters.length,
  };
}

/** The shortest re-ask the hub suggests: agents are told to come back, not to spin. */
export const MIN_RETRY_MS = 50;

/**
 * How long this group's automatic leases typically last from grant to finish: the median of
 * the ones that ended inside the window (null before any did).
 */
export function typicalLeaseMs(group: GroupState): number | null {
  const spans = group.leases
    .filter((l) => !l.operator && l.endedAt !== null)
    .map((l) => (l.endedAt as number) - l.grantedAt)
    .sort((a, b) => a - b);
  return spans.length > 0 ? (spans[Math.floor(spans.length / 2)] as number) : null;
}

/**
 * When to ask again. The latest moment capacity surely frees: the first in-flight lease's
 * expiry, or the moment the oldest grant leaves the window — whichever limit is the binding one,
 * never before `now + 1 s`. When the concurrency limit binds and this group's leases have ended
 * before, the hub estimates better: the in-flight leases end about a typical lease after their
 * grant, each freed slot goes to the next waiter in line, so the waiter with `ahead` services
 * before it gets the slot that opens `ahead` openings from now (round after round of a typical
 * lease). Never sooner than MIN_RETRY_MS, never later than the latest moment.
 */
function nextChance(
  group: GroupState,
  now: number,
  limits: BudgetLimits,
  n: GroupNumbers,
  ahead: number,
): number {
  const candidates: number[] = [];
  const live = group.leases.filter((l) => inFlight(l, now));
  if (n.inFlight >= limits.maxConcurrent) {
    candidates.push(Math.min(...live.map((l) => l.expiresAt)));
  }
  const windowBinds = n.usedInWindow >= limits.maxPerWindow;
  if (windowBinds) {
    const windowStart = now - limits.windowSec * 1000;
    const grants = group.leases.filter((l) => l.grantedAt > windowStart).map((l) => l.grantedAt);
    candidates.push(Math.min(...grants) + limits.windowSec * 1000);
  }
  const latest = Math.max(now + 1000, candidates.length > 0 ? Math.max(...candidates) : now + 1000);
  const typical = typicalLeaseMs(group);
  // The window's limit binds for this waiter too when the grants left in it go to those ahead.
  if (windowBinds || n.usedInWindow + ahead >= limits.maxPerWindow || typical === null) return latest;
  // A lease already past its typical length may end any moment: expect it a tenth of one later.
  const soonest = now + Math.max(MIN_RETRY_MS, typical / 10);
  const free = Math.max(0, limits.maxConcurrent - n.inFlight);
  const openings = [
    ...Array.from({ length: free }, () => now),
    ...live.map((l) => Math.max(l.grantedAt + typical, soonest)).sort((a, b) => a - b),
  ];
  // Operator leases beyond the limit must end before any slot opens: they come first in line.
  const k = ahead + Math.max(0, n.inFlight - limits.maxConcurrent);
  const at = openings[k % openings.length]! + Math.floor(k / openings.length) * typical;
  return Math.min(latest, Math.max(now + MIN_RETRY_MS, at));
}

/** Arbitrates one request. A retried request (same id) whose lease is in flight gets that lease back. */
export function arbitrate(
  state: GroupState,
  req: LeaseRequest,
  now: number,
  limits: BudgetLimits,
): { group: GroupState; answer: LeaseAnswer } {
  const group = prune(state, now, limits);
  const k = key(req.node, req.service);
  // Idempotent on the request id (a retried request gets its lease back), never on the service:
  // a later request of the same service may be answered after that service already ended the
  // lease it held (its finish still on the way), and must not get that lease back (found by the
  // fleet property in test/core/budget.test.ts).
  const held = group.leases.find((l) => l.id === req.id && inFlight(l, now));
  if (held) {
    // A service holding a lease is not in line: it may have been denied under a later id (an
    // agent restarted, its ids lost) before this retry got its lease back. Found by the
    // two-replica property of test/fleet/budget-optimistic.test.ts.
    const next = { ...group, waiters: group.waiters.filter((w) => key(w.node, w.service) !== k) };
    return { group: next, answer: { granted: true, lease: held, numbers: numbers(next, now, limits) } };
  }
  // An id whose lease ended or lapsed (a request retried too late) is never granted again: the
  // lease table keys leases by id, so a second grant under it would be a slot nobody counts.
  // (Found by test/fleet/budget-optimistic.test.ts: a lease pruned out of the window was
  // forgotten, and its id granted again under a lease the table never recorded.)
  const spent = group.leases.some((l) => l.id === req.id) || (group.spent?.includes(req.id) ?? false);

  const others = group.waiters.filter((w) => key(w.node, w.service) !== k);
  const mine = group.waiters.find((w) => key(w.node, w.service) === k);
  const n = numbers(group, now, limits);
  const since = mine?.since ?? now;
  const ahead = others.filter((w) => w.since < since || (w.since === since && key(w.node, w.service) < k));
  // Free slots are reserved for the services that waited longer: this one gets a slot only when
  // there are more free slots than services ahead of it.
  const free = Math.min(limits.maxConcurrent - n.inFlight, limits.maxPerWindow - n.usedInWindow);

  if (!spent && (req.operator || free > ahead.length)) {
    const lease: Lease = {
      id: req.id,
      node: req.node,
      service: req.service,
      grantedAt: now,
      expiresAt: now + limits.leaseTtlSec * 1000,
      endedAt: null,
      operator: req.operator,
    };
    const next = { ...group, leases: [...group.leases, lease], waiters: others };
    return { group: next, answer: { granted: true, lease, numbers: numbers(next, now, limits) } };
  }

  const waiter: Waiter = { node: req.node, service: req.service, since, seenAt: now };
  const next = { ...group, waiters: [...others, waiter] };
  return {
    group: next,
    answer: {
      granted: false,
      retryAt: nextChance(group, now, limits, n, ahead.length),
      position: ahead.length + 1,
      numbers: numbers(next, now, limits),
    },
  };
}

/** Ends a lease when its restart's outcome is known (idempotent; an unknown id changes nothing). */
export function finish(state: GroupState, leaseId: string, now: number): GroupState {
  return {
    ...state,
    leases: state.leases.map((l) => (l.id === leaseId && l.endedAt === null ? { ...l, endedAt: now } : l)),
  };
}

/**
 * The waiters the arbiter would grant now if they asked (for the hub's slot notification): the
 * oldest first, as many as there are free slots. Exactly those: a waiter's request is granted
 * iff the free slots outnumber the waiters ahead of it (`arbitrate`); so telling these, and only
 * these, that a slot is free for them keeps the order fair and starts no herd of re-asks.
 */
export function nextInLine(state: GroupState, now: number, limits: BudgetLimits): Waiter[] {
  const group = prune(state, now, limits);
  const n = numbers(group, now, limits);
  const free = Math.min(limits.maxConcurrent - n.inFlight, limits.maxPerWindow - n.usedInWindow);
  if (free <= 0) return [];
  const order = (a: Waiter, b: Waiter) =>
    a.since - b.since || (key(a.node, a.service) < key(b.node, b.service) ? -1 : 1);
  return [...group.waiters].sort(order).slice(0, free);
}
