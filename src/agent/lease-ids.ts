/**
 * The lease request ids of one agent (issue 16). The arbiter is idempotent on the request id, so
 * a request whose answer never came back (timed out in a storm: it may have been granted) is
 * asked again with the **same** id: a grant it got comes back instead of a second slot being
 * taken while the first stays taken until its TTL. Any answer ends that: the next request of the
 * service gets a fresh id (a request is never sent again after its answer, so a lease this
 * service already ended can never be handed back to it).
 *
 * An id is reused for at most half a lease TTL after it was first sent: a lease granted for it
 * lapses no sooner than a TTL after that, so a reuse (even one the hub takes seconds to get to)
 * finds it in flight (given back) or never granted (a new lease under that id). Should it come
 * later still, the arbiter denies an id whose lease lapsed (src/fleet/budget.ts) and the next
 * request gets a fresh one. Operator restarts always get a fresh id (counted at once).
 */
import { randomUUID } from 'node:crypto';

export class LeaseIds {
  private readonly pending = new Map<string, { id: string; until: number }>();

  constructor(
    private readonly node: string,
    /** A fresh unique part (tests pin it). */
    private readonly mint: () => string = randomUUID,
  ) {}

  /** The id for `service`'s automatic request in `group` at `now`. */
  auto(group: string, service: string, now: number): string {
    const held = this.pending.get(`${group}\u0000${service}`);
    return held && now < held.until ? held.id : this.fresh(service);
  }

  /** A fresh id (an operator restart's request). */
  fresh(service: string): string {
    return `${this.node}/${service}/${this.mint()}`;
  }

  /** The request with `id`, first sent at `sentAt`, got no answer: the next one reuses its id. */
  unanswered(group: string, service: string, id: string, sentAt: number, ttlMs: number): void {
    const key = `${group}\u0000${service}`;
    if (this.pending.get(key)?.id !== id) this.pending.set(key, { id, until: sentAt + ttlMs / 2 });
  }

  /** The hub answered `service`'s request (granted or denied): its next request gets a fresh id. */
  answered(group: string, service: string): void {
    this.pending.delete(`${group}\u0000${service}`);
  }
}
