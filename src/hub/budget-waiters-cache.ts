/**
 * What a hub replica remembers of each budget group's waiters between its lease arbitrations
 * (issue 16), keyed by the group's version. Measured: in the 1,000 × 20 storm every read
 * carried every group's waiters — 19,000 rows as JSON, 300–850 ms per read under load — while
 * they change only through this replica's own writes most of the time.
 *
 * Exact because every change of `budget_waiters` is made by a write that bumps the group's
 * version in the same statement (budget-write.ts): the waiters at a version are one set. A
 * replica keeps the set it read with its version, or the set its own write left with the version
 * that write set; the read (budget-read.ts) sends the kept version and gets the waiters back only
 * when the group's version is another (another replica wrote, or this one's write was refused).
 */
import type { Waiter } from '../fleet/budget.js';

export class WaiterCache {
  private readonly groups = new Map<string, { version: number; waiters: readonly Waiter[] }>();

  constructor(private readonly maxGroups = 10_000) {}

  /** The version whose waiters are kept for `name` (-1: none kept, read them). */
  version(name: string): number {
    return this.groups.get(name)?.version ?? -1;
  }

  /** The waiters kept for `name` at `version` (undefined: not that version). */
  at(name: string, version: number): Waiter[] | undefined {
    const e = this.groups.get(name);
    return e && e.version === version ? [...e.waiters] : undefined;
  }

  /** Keeps `waiters` as group `name`'s at `version`. */
  keep(name: string, version: number, waiters: readonly Waiter[]): void {
    if (!this.groups.has(name) && this.groups.size >= this.maxGroups) this.groups.clear();
    this.groups.set(name, { version, waiters: [...waiters] });
  }

  forget(names: Iterable<string>): void {
    for (const name of names) this.groups.delete(name);
  }
}
