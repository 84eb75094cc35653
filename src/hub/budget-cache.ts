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
 *
 * **Arbitrating without the read** (`current`, budget-tx.ts): the entry also knows the group's
 * version at which its leases are complete — the version its read saw, or the one its own
 * write set (`wrote`: the leases that write inserted, with their `seq`). Grants and waiters
 * change only with the version; the one thing that changes a group without moving it is a
 * finish, and a finish only ends a lease. The replica's own finishes are taken in (`ended`),
 * another replica's are not, so what `current` returns may hold as in flight a lease already
 * ended: it never shows fewer leases in flight than there are — an arbitration on it may deny
 * what a read would grant, never grant what a read would deny. An `ended_at` once taken in is
 * kept (it is never changed again), even against a read whose snapshot predates the finish.
 */
import type { Lease } from '../fleet/budget.js';
import { WaiterCache } from './budget-waiters-cache.js';

interface Entry {
  leases: Map<string, Lease>;
  /** The highest `seq` seen in the group. */
  seq: number;
  /** The group's version at which `leases` holds every lease it granted (null: not known; read). */
  version: number | null;
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

/** Recent finishes remembered for reads under way (`ended`): ample for a second of finishes. */
const MAX_ENDS = 4096;

export class LeaseCache {
  private readonly groups = new Map<string, Entry>();
  /** Lease id → when this replica's finish ended it, the most recent MAX_ENDS. */
  private readonly ends = new Map<string, number>();

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

  /** Takes in the rows read for `plan` at the group's `version`; the group's leases that count at `now`. */
  merge(
    plan: GroupRead,
    rows: readonly (Lease & { seq: number })[],
    now: number,
    version: number | null = null,
  ): Lease[] {
    const e = plan.since === null ? undefined : this.groups.get(plan.name);
    const leases = e?.leases ?? new Map<string, Lease>();
    let seq = plan.since ?? 0;
    // An open lease asked for and not returned has no row any more (deleted by hand, a restored
    // database): forgotten, not held as in flight until its TTL.
    for (const id of plan.open) leases.delete(id);
    for (const { seq: s, ...lease } of rows) {
      // A finish taken in (`ended`) after this read's snapshot was taken: the row is older.
      const kept = this.ends.get(lease.id);
      leases.set(
        lease.id,
        lease.endedAt === null && kept !== undefined ? { ...lease, endedAt: kept } : lease,
      );
      seq = Math.max(seq, s);
    }
    return this.keepEntry(plan.name, leases, seq, plan.windowStart, now, version);
  }

  /**
   * The group's leases that count at `now` and the version they are complete at, when this
   * replica can arbitrate without reading (see the header): it read or wrote the group last at
   * that version, the window reaches no further back and time did not go back. Else undefined.
   */
  current(name: string, windowStart: number, now: number): { version: number; leases: Lease[] } | undefined {
    const e = this.groups.get(name);
    if (!e || e.version === null || windowStart < e.windowStart || now < e.now) return undefined;
    // What no longer counts goes, as in `merge`: the entry now holds the window from here.
    for (const [id, l] of e.leases) if (!counts(l, windowStart, now)) e.leases.delete(id);
    e.windowStart = windowStart;
    e.now = now;
    return { version: e.version, leases: [...e.leases.values()] };
  }

  /** This replica's write moved group `name` to `version`, inserting `added` (with their `seq`). */
  wrote(name: string, version: number, added: readonly (Lease & { seq: number })[], now: number): void {
    const e = this.groups.get(name);
    if (!e) return;
    for (const { seq, ...lease } of added) {
      e.leases.set(lease.id, lease);
      e.seq = Math.max(e.seq, seq);
    }
    // Complete at the new version only if it was at the one the write moved it from.
    e.version = e.version === version - 1 ? version : null;
    e.now = Math.max(e.now, now);
  }

  /** Another write moved the group (a refused conditional write): read before arbitrating again. */
  stale(name: string): void {
    const e = this.groups.get(name);
    if (e) e.version = null;
  }

  /** Finishes of this replica (budget-finish-batch.ts): these leases ended at `endedAt`. */
  ended(rows: readonly { id: string; group: string; endedAt: number }[]): void {
    for (const r of rows) {
      const e = this.groups.get(r.group);
      const l = e?.leases.get(r.id);
      if (l && l.endedAt === null) {
        e!.leases.set(r.id, { ...l, endedAt: r.endedAt });
        // Never arbitrate from the cache at a time before a finish it holds (a clock step back).
        e!.now = Math.max(e!.now, r.endedAt);
      }
      // For a read already under way, whose row may predate the finish (merge). Bounded: recent only.
      this.ends.set(r.id, r.endedAt);
      if (this.ends.size > MAX_ENDS) this.ends.delete(this.ends.keys().next().value!);
    }
  }

  private keepEntry(
    name: string,
    leases: Map<string, Lease>,
    seq: number,
    windowStart: number,
    now: number,
    version: number | null,
  ): Lease[] {
    for (const [id, l] of leases) if (!counts(l, windowStart, now)) leases.delete(id);
    if (!this.groups.has(name) && this.groups.size >= this.maxGroups) this.groups.clear();
    this.groups.set(name, { leases, seq, windowStart, now, version });
    return [...leases.values()];
  }

  /** Reads these groups in full next time (after a failed arbitration). */
  forget(names: Iterable<string>): void {
    const list = [...names];
    for (const name of list) this.groups.delete(name);
    this.waiters.forget(list);
  }
}
