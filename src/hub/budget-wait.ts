/**
 * The slot notification at the hub (issue 16, `WAIT_PATH`): a node holds **one** request open
 * here for all of its waiting services (in any groups), and is answered as soon as some of them
 * should ask for their lease (`mayAsk`, src/fleet/slot-notice.ts: the waiters the group's free
 * slots would go to in the arbiter's own order, a service whose grant never reached it, a
 * service the hub has no record of that would be granted now) — naming those — or with none at
 * its bound. It grants nothing: the agent then asks for its leases through the batched arbiter
 * under the group's row lock, so atomicity, `maxConcurrent` and fairness stay the arbiter's
 * alone; a lost or late notification costs promptness, never correctness.
 *
 * When to look at a group: once when a wait naming it is parked (a slot may have freed between
 * the denial and the wait); whenever a lease of it ends (`freed(group)`, from the `{ budget:
 * group }` NOTIFY that ending a lease sends, on whichever replica it ended); and at the group's
 * next lapse (`nextLapse`: its first in-flight lease's TTL, or its oldest grant leaving the window
 * when that limit binds) — a dead agent's lease lapsing frees a slot with nobody finishing it.
 * Checks are paced (CheckPacer): one group at most every `CHECK_EVERY_MS`, at most
 * `CHECKS_AT_ONCE` groups read at once; asks meanwhile merge into the next check.
 *
 * A node holds one wait per replica: a new wait of the node replaces the one parked here (that one
 * is answered with none at once, so the agent's connection goes back to its pool instead of being
 * torn down). Unknown services share the group's left-over slots across nodes, the longest-parked
 * node first, so a check never sends more requests than could be granted.
 */
import type { Clock, Timer } from '../clock/clock.js';
import { mayAsk, nextLapse, type WaitedFor } from '../fleet/slot-notice.js';
import { readForNotice } from './budget-notice-read.js';
import { CheckPacer } from './check-pacer.js';
import type { HubDb } from './db.js';

/** One node's parked wait: its services per group, answered once. */
interface Parked {
  node: string;
  services: Map<string, string[]>;
  timer: Timer | null;
  done(ask: WaitedFor[]): void;
}

/** A check that failed (PostgreSQL unreachable, its pool busy) is tried again this much later. */
export const CHECK_RETRY_MS = 250;
/** One group is checked at most this often (asks meanwhile merge into the next check). */
export const CHECK_EVERY_MS = 100;
/** At most this many groups are read at once (the rest of the pool serves leases and finishes). */
export const CHECKS_AT_ONCE = 2;

/** The longest a lapse timer is set for (Node's timers overflow past 2^31 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class SlotWaits {
  private readonly parked = new Map<string, Set<Parked>>();
  private readonly pacer: CheckPacer;
  /** Per group with parked waits: the check at its next lapse. */
  private readonly lapses = new Map<string, Timer>();
  /** The wait parked here per node (a new one replaces it). */
  private readonly byNode = new Map<string, Parked>();
  private size = 0;

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    /** Waits (connections) held at once by this replica; beyond, a wait is refused (503). */
    private readonly maxParked = 50_000,
  ) {
    this.pacer = new CheckPacer((group) => this.check(group), clock, CHECK_EVERY_MS, CHECKS_AT_ONCE);
  }

  /** Waits held now (one per node, whatever its number of services). */
  count(): number {
    return this.size;
  }

  /**
   * Resolves with the services of `node` that should ask now (at least one), or none after
   * `waitMs` or on `cancel`; null when this replica holds `maxParked` waits already.
   */
  wait(
    node: string,
    services: readonly WaitedFor[],
    waitMs: number,
  ): { ask: Promise<WaitedFor[]>; cancel(): void } | null {
    this.byNode.get(node)?.done([]);
    if (this.size >= this.maxParked) return null;
    const byGroup = new Map<string, string[]>();
    for (const w of services) byGroup.set(w.group, [...(byGroup.get(w.group) ?? []), w.service]);
    let parked!: Parked;
    const ask = new Promise<WaitedFor[]>((resolve) => {
      parked = {
        node,
        services: byGroup,
        timer: null,
        done: (answer) => this.unpark(parked, answer, resolve),
      };
    });
    for (const group of byGroup.keys()) {
      const set = this.parked.get(group) ?? new Set<Parked>();
      this.parked.set(group, set);
      set.add(parked);
    }
    this.byNode.set(node, parked);
    this.size++;
    parked.timer = this.clock.setTimeout(() => parked.done([]), waitMs);
    for (const group of byGroup.keys()) this.freed(group);
    return { ask, cancel: () => parked.done([]) };
  }

  private unpark(p: Parked, answer: WaitedFor[], resolve: (ask: WaitedFor[]) => void): void {
    let was = false;
    for (const group of p.services.keys()) {
      const set = this.parked.get(group);
      if (!set?.delete(p)) continue;
      was = true;
      if (set.size > 0) continue;
      this.parked.delete(group);
      this.pacer.drop(group);
      this.clock.clearTimeout(this.lapses.get(group) ?? null);
      this.lapses.delete(group);
    }
    if (!was) return;
    if (this.byNode.get(p.node) === p) this.byNode.delete(p.node);
    this.size--;
    this.clock.clearTimeout(p.timer);
    resolve(answer);
  }

  /** A lease of `group` ended somewhere (or lapsed): tells the waits here who should ask now. */
  freed(group: string): void {
    if (this.parked.has(group)) this.pacer.ask(group);
  }

  private async check(group: string): Promise<void> {
    try {
      if (!this.parked.has(group)) return;
      const now = this.clock.now();
      const read = await readForNotice(this.db, group, now);
      if (!read) return;
      // A Set iterates in insertion order: the longest-parked node first.
      const parked = [...(this.parked.get(group) ?? [])];
      const nodes = parked.map((p) => ({ node: p.node, services: p.services.get(group) ?? [] }));
      const named = mayAsk(read.state, now, read.limits, nodes);
      for (const p of parked) {
        const ask = named.get(p.node);
        if (ask) p.done([...ask].map((service) => ({ group, service })));
      }
      this.watchLapse(group, nextLapse(read.state, now, read.limits), now);
    } catch {
      // PostgreSQL unreachable or its pool busy (a storm): looked at again shortly, not left to
      // the waits' bound (seconds of idle slots).
      this.watchLapse(group, this.clock.now() + CHECK_RETRY_MS, this.clock.now());
    }
  }

  /** Checks `group` again at `at` (its next lapse) while waits for it are parked here. */
  private watchLapse(group: string, at: number | null, now: number): void {
    this.clock.clearTimeout(this.lapses.get(group) ?? null);
    this.lapses.delete(group);
    if (at === null || !this.parked.has(group)) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, at - now) + 1);
    this.lapses.set(
      group,
      this.clock.setTimeout(() => {
        this.lapses.delete(group);
        this.freed(group);
      }, ms),
    );
  }

  /** Answers every wait with none (the hub is closing). */
  close(): void {
    this.pacer.close();
    for (const set of [...this.parked.values()]) for (const p of [...set]) p.done([]);
  }
}
