/**
 * The lease request ids of one agent (issue 16). The arbiter is idempotent on the request id, so
 * a request whose answer never came back (timed out in a storm: it may have been granted) is
 * asked again with the **same** id, however long the answer takes: a grant it got comes back
 * instead of a second slot being taken while the first stays taken until its TTL. Any answer ends
 * that: the next request of the service gets a fresh id (a request is never sent again after its
 * answer, so a lease this service already ended can never be handed back to it).
 *
 * Until s8 an id was given up half a lease TTL after its first send. That left a grant whose
 * answers kept timing out in flight, nobody to restart under it, while the service waited under
 * its fresh id — and the hub tells a *waiting* service only when it is in line, never to re-ask
 * for the grant it holds (src/fleet/slot-notice.ts): the grant held its slot until its TTL. In
 * the 1,000 × 20 storm every slot of a group was held so at once, and the storm stalled
 * (docs/BENCHMARKS.md "Fleet budget, run 9"). Asking on with the id cannot take a second slot:
 * while its lease is in flight the arbiter gives that lease back; once it lapsed the arbiter
 * denies the id (src/fleet/budget.ts: spent), which answers it; once the hub pruned its row it is
 * a new request like any other (src/hub/budget-prune.ts). Operator restarts always get a fresh id
 * (counted at once).
 */
import { randomUUID } from 'node:crypto';

export class LeaseIds {
  /** Per group and service, the id of its request that got no answer. */
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly node: string,
    /** A fresh unique part (tests pin it). */
    private readonly mint: () => string = randomUUID,
  ) {}

  /** The id for `service`'s automatic request in `group`: its unanswered one's, else a fresh one. */
  auto(group: string, service: string): string {
    return this.pending.get(`${group}\u0000${service}`) ?? this.fresh(service);
  }

  /** A fresh id (an operator restart's request). */
  fresh(service: string): string {
    return `${this.node}/${service}/${this.mint()}`;
  }

  /** The request with `id` got no answer: the next one reuses its id, until one is answered. */
  unanswered(group: string, service: string, id: string): void {
    this.pending.set(`${group}\u0000${service}`, id);
  }

  /** The hub answered `service`'s request (granted or denied): its next request gets a fresh id. */
  answered(group: string, service: string): void {
    this.pending.delete(`${group}\u0000${service}`);
  }
}
