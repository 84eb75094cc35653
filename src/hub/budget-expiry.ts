/**
 * Lease requests nobody waits for any more (issue 16). An agent says how long it waits for a lease
 * answer (`WAIT_HEADER`, a duration: src/fleet/budget-protocol.ts). The hub counts it from the
 * request's arrival (before authentication; on the hub's Clock) and keeps back a margin for the
 * arbitration and the answer's way back: a request whose batch starts after that deadline is not
 * arbitrated (src/hub/budget-batch.ts `take()`) — its grant would reach nobody and hold the slot
 * until the agent asked again with the same id or the lease's TTL passed; the route answers it
 * 503 `LEASE_REQUEST_EXPIRED` and counts it (`medic_budget_lease_requests_expired_total`).
 *
 * Errs towards arbitrating: the hub cannot see the time a request spent before its handler ran
 * (the agent's socket pool, the network, the hub's event loop), so the deadline it computes is
 * later than the moment the agent gives up; only the margin errs the other way. A request that
 * started in time may still finish after its agent left: that grant is picked up by the agent's
 * re-ask with the same id (src/agent/lease-ids.ts), or ended by it (src/serve/budget.ts).
 */
import { LEASE_REQUEST_EXPIRED, MAX_LEASE_WAIT_MS } from '../fleet/budget-protocol.js';

/**
 * The most kept back for the answer's way back. Small on purpose: a request declined is one the
 * agent re-asks for later, a late grant one its re-ask picks up. With 200 ms (and a quarter of the
 * wait) the storm bench at load 3.6 had the hub decline 12,184 requests whose agents all still
 * listened (batches took 74 ms at p50): answers they would have had in time.
 */
export const ANSWER_MARGIN_MS = 50;

/** The deadline for a request that arrived at `arrivedAt` and whose agent waits `waitMs`: a tenth of the wait kept back, at most ANSWER_MARGIN_MS. */
export function leaseDeadline(arrivedAt: number, waitMs: number): number {
  return arrivedAt + waitMs - Math.min(ANSWER_MARGIN_MS, waitMs / 10);
}

/** The header's value: undefined when absent (an older agent), null when not a whole number of ms in range. */
export function parseWaitHeader(value: string | string[] | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value.trim())) return null;
  const ms = Number(value.trim());
  return ms <= MAX_LEASE_WAIT_MS ? ms : null;
}

/** Rejects a queued lease request whose deadline passed before its batch (the route answers 503). */
export class LeaseRequestExpired extends Error {
  readonly code = LEASE_REQUEST_EXPIRED;
  constructor(readonly lateMs: number) {
    super(
      `the agent's wait (less the answer's margin) ended ${lateMs} ms before the hub got to its lease request; nothing granted`,
    );
    this.name = 'LeaseRequestExpired';
  }
}

/** Removes from `queue` (in place) the requests whose deadline is before `now`, and returns them. */
export function takeExpired<T extends { deadline?: number }>(queue: T[], now: number): T[] {
  if (!queue.some((p) => p.deadline !== undefined && p.deadline < now)) return [];
  const expired = queue.filter((p) => p.deadline !== undefined && p.deadline < now);
  const live = queue.filter((p) => !(p.deadline !== undefined && p.deadline < now));
  queue.splice(0, queue.length, ...live);
  return expired;
}
