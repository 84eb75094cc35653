/**
 * What a hub replica remembers of each budget group between its lease arbitrations (issue 16):
 * the group's leases that still count (in flight, or granted inside the window). Measured: the
 * read of every such lease per transaction was the lease path's cost — 20 groups × 250 leases
 * took 30–50 ms of JSON to build, send and parse on the shared machine, 20 × 1,000 about
 * 200 ms (docs/BENCHMARKS.md "Fleet budget, run 5") — while the scan itself took 0.1 ms.
 *
 * So an arbitration asks PostgreSQL only for what may have changed since this replica last read
 * the group (one arbitration of the replica at a time holds a group: the default, locked way
 * plans its read under the group's row lock; optimistic lanes take disjoint groups, budget-batch.ts):
 * - leases with `seq` above the highest it saw — new grants, by any replica: a group's leases
 *   are inserted only by a write that bumped the group's version from the one its read saw
 *   (budget-write.ts), i.e. after the previous such write committed, so a grant not yet seen has
 *   a higher `seq` than every one seen (db/pg/schema.ts `budget_leases.seq`, a sequence drawn at
 *   insert; read on the `(group, seq)` index);
 * - the leases it saw unended — a finish ends a lease without the lock, and only once
 *   (`ended_at` is never changed again), so an ended lease it saw is as it saw it.
 * The merged set, less what left the window or lapsed, is exactly what the full read returns.
 * The sweeper prunes only rows that count nowhere any more (ended or lapsed, and past
 * max(window, lease TTL) + a margin: budget-prune.ts). A row deleted otherwise (by hand) is
 * forgotten at the next read when it was open; an ended one still counts in this replica's
 * window until it leaves the window or the replica restarts. It reads everything again when it has nothing for the group, when the window reaches further
 * back than what it kept (wider limits) or time went back (a clock step), and after a failed
 * arbitration (`forget`).
 */
import type { Lease } from '../fleet/budget.js';
import { WaiterCache } from './budget-waiters-cache.js';

interface Entry {
  leases: Map<string, Lease>;
  /** The highest `seq` seen in the group. */
  seq: number;
  windowStart: number;
  now: number;
}

/** What to read of one group: `since` null = everything that counts (a full read). */
export interface GroupRead {
  name: string;
  windowStart: number;
  since: number | null;
  /** Leases seen unended (read again whatever their `seq`). */
  open: string[];
}

/** Does this lease count at `now` for a window starting at `windowStart` (the full read's rule)? */
export const counts = (l: Lease, windowStart: number, now: number) =>
  l.grantedAt > windowStart || (l.endedAt === null && l.expiresAt > now);

export class LeaseCache {
  private readonly groups = new Map<string, Entry>();

  /** Each group's waiters at its version (budget-waiters-cache.ts). */
  readonly waiters: WaiterCache;

  constructor(private readonly maxGroups = 10_000) {
    this.waiters = new WaiterCache(maxGroups);
  }

  /** What to ask PostgreSQL for group `name` (one arbitration at a time per group: its row lock, or budget-batch.ts). */
  plan(name: string, windowStart: number, now: number): GroupRead {
    const e = this.groups.get(name);
    if (!e || windowStart < e.windowStart || now < e.now) return { name, windowStart, since: null, open: [] };
    const open = [...e.leases.values()].filter((l) => l.endedAt === null).map((l) => l.id);
    return { name, windowStart, since: e.seq, open };
  }

  /** Takes in the rows read for `plan`; the group's leases that count at `now`. */
  merge(plan: GroupRead, rows: readonly (Lease & { seq: number })[], now: number): Lease[] {
    const e = plan.since === null ? undefined : this.groups.get(plan.name);
    const leases = e?.leases ?? new Map<string, Lease>();
    let seq = plan.since ?? 0;
    // An open lease asked for and not returned has no row any more (deleted by hand, a restored
    // database): forgotten, not held as in flight until its TTL.
    for (const id of plan.open) leases.delete(id);
    for (const { seq: s, ...lease } of rows) {
      leases.set(lease.id, lease);
      seq = Math.max(seq, s);
    }
    for (const [id, l] of leases) if (!counts(l, plan.windowStart, now)) leases.delete(id);
    if (!e && this.groups.size >= this.maxGroups) this.groups.clear();
    this.groups.set(plan.name, { leases, seq, windowStart: plan.windowStart, now });
    return [...leases.values()];
  }

  /** Reads these groups in full next time (after a failed arbitration). */
  forget(names: Iterable<string>): void {
    const list = [...names];
    for (const name of list) this.groups.delete(name);
    this.waiters.forget(list);
  }
}
