/**
 * The slot notification at the hub (issue 16, `WAIT_PATH`): a denied agent holds a request open
 * here, and is answered `true` as soon as a slot is free *for it* — it is among the oldest
 * waiters that the group's free slots would go to (`nextInLine`, the arbiter's own order) — or
 * `false` at its bound. It grants nothing: the agent then asks for its lease through the batched
 * arbiter under the group's row lock, so atomicity, `maxConcurrent` and fairness stay the
 * arbiter's alone; a lost or late notification costs promptness, never correctness.
 *
 * When to look: a wait is checked once when it is parked (the slot may have freed between the
 * denial and the wait), then whenever a lease of its group ends (`freed(group)`, from the
 * `{ budget: group }` NOTIFY that ending a lease sends, on whichever replica it ended). A lease
 * lapsing at its TTL or leaving the window sends nothing: the bound answers those. Checks of one
 * group never overlap (a check asked for while one runs runs once after it).
 */
import { eq } from 'drizzle-orm';
import { budgetGroups } from '../../db/pg/schema.js';
import type { Clock, Timer } from '../clock/clock.js';
import { type BudgetLimits, nextInLine } from '../fleet/budget.js';
import { readGroup } from './budget.js';
import type { HubDb } from './db.js';

interface Parked {
  node: string;
  service: string;
  timer: Timer | null;
  done(free: boolean): void;
}

const key = (node: string, service: string) => `${node}\u0000${service}`;

/** The waiters of `group` a slot is free for now (none when the group is unknown). */
export async function freeFor(db: HubDb, group: string, now: number): Promise<Set<string>> {
  const [row] = await db
    .select({ limits: budgetGroups.limits })
    .from(budgetGroups)
    .where(eq(budgetGroups.name, group));
  if (!row) return new Set();
  const limits = row.limits as BudgetLimits;
  const state = await readGroup(db, group, now - limits.windowSec * 1000, now);
  return new Set(nextInLine(state, now, limits).map((w) => key(w.node, w.service)));
}

export class SlotWaits {
  private readonly parked = new Map<string, Set<Parked>>();
  /** Groups being checked; true: another check was asked for meanwhile. */
  private readonly checking = new Map<string, boolean>();
  private size = 0;

  constructor(
    private readonly db: HubDb,
    private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    /** Waits held at once by this replica; beyond, a wait is answered `false` at once. */
    private readonly maxParked = 50_000,
  ) {}

  /** Waits held now. */
  count(): number {
    return this.size;
  }

  /**
   * Resolves true when a slot is free for node/service, false after `waitMs` or on `cancel`;
   * null when this replica holds `maxParked` waits already (the route answers 503: the agent
   * then asks at its usual cadence).
   */
  wait(
    group: string,
    node: string,
    service: string,
    waitMs: number,
  ): { free: Promise<boolean>; cancel(): void } | null {
    if (this.size >= this.maxParked) return null;
    let parked!: Parked;
    const free = new Promise<boolean>((resolve) => {
      parked = {
        node,
        service,
        timer: null,
        done: (answer) => {
          const set = this.parked.get(group);
          if (!set?.delete(parked)) return;
          this.size--;
          if (set.size === 0) this.parked.delete(group);
          this.clock.clearTimeout(parked.timer);
          resolve(answer);
        },
      };
    });
    const set = this.parked.get(group) ?? new Set<Parked>();
    this.parked.set(group, set);
    set.add(parked);
    this.size++;
    parked.timer = this.clock.setTimeout(() => parked.done(false), waitMs);
    this.freed(group);
    return { free, cancel: () => parked.done(false) };
  }

  /** A lease of `group` ended somewhere: tells the waits here a slot is now free for. */
  freed(group: string): void {
    if (!this.parked.has(group)) return;
    if (this.checking.has(group)) {
      this.checking.set(group, true);
      return;
    }
    void this.check(group);
  }

  private async check(group: string): Promise<void> {
    try {
      do {
        this.checking.set(group, false);
        const set = this.parked.get(group);
        if (!set) break;
        const free = await freeFor(this.db, group, this.clock.now());
        for (const p of [...set]) if (free.has(key(p.node, p.service))) p.done(true);
      } while (this.checking.get(group));
    } catch {
      // PostgreSQL unreachable: the waits end at their bound; the agents ask as before.
    } finally {
      this.checking.delete(group);
    }
  }

  /** Answers every wait `false` (the hub is closing). */
  close(): void {
    for (const set of [...this.parked.values()]) for (const p of [...set]) p.done(false);
  }
}
