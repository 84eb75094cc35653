/**
 * One arbitration's work in memory (issue 16, src/hub/budget-tx.ts): a group's requests run
 * through the pure arbiter (src/fleet/budget.ts) in arrival order on the state read — or, for a
 * group the replica's cache holds at its version (budget-cache.ts `current`), on the cache
 * alone, without a read (`fromCache`). What comes out: the answers, the group's conditional
 * write (budget-write.ts) and its waiters after.
 */
import {
  arbitrate,
  type BudgetLimits,
  type GroupState,
  type LeaseAnswer,
  type LeaseRequest,
  type Waiter,
} from '../fleet/budget.js';
import type { LeaseCache } from './budget-cache.js';
import type { ReadGroup } from './budget-read.js';
import { changes, type GroupWrite } from './budget-write.js';

/** One request of a batch: its own limits (the agent's policy) and the lease asked for. */
export interface BatchItem {
  limits: BudgetLimits;
  req: LeaseRequest;
}

/** One group of a batch: its newest limits, the widest window asked for, its requests. */
export interface Group {
  name: string;
  limits: BudgetLimits;
  windowMs: number;
  items: readonly BatchItem[];
}

/**
 * One group's requests arbitrated on `state` at `now`: its answers, its write, its waiters after.
 * With `newOnly`, undefined as soon as a request is not granted a new lease (`fromCache`).
 */
export function arbitrateGroup(g: Group, state: ReadGroup, now: number): Arbitrated;
export function arbitrateGroup(
  g: Group,
  state: ReadGroup,
  now: number,
  newOnly: true,
): Arbitrated | undefined;
export function arbitrateGroup(g: Group, state: ReadGroup, now: number, newOnly = false) {
  const { version, ...before } = state;
  let group: GroupState = before;
  const out: LeaseAnswer[] = [];
  const known = newOnly ? new Set(before.leases.map((l) => l.id)) : undefined;
  for (const { limits, req } of g.items) {
    const r = arbitrate(group, req, now, limits);
    if (known) {
      // Stop at once: in a storm most requests are denied, and the read arbitrates them all again.
      if (!r.answer.granted || known.has(r.answer.lease.id)) return undefined;
      known.add(r.answer.lease.id);
    }
    group = r.group;
    out.push(r.answer);
  }
  const write: GroupWrite = {
    name: g.name,
    limits: g.limits,
    version,
    changes: changes(g.name, before, group),
  };
  return { out, write, waiters: group.waiters, now };
}

export interface Arbitrated {
  out: LeaseAnswer[];
  write: GroupWrite;
  waiters: Waiter[];
  now: number;
}

/**
 * The groups of `groups` this replica can arbitrate from its cache alone (budget-cache.ts
 * `current`), arbitrated at `now`. Kept only where every answer is a new grant: the cache may
 * hold as in flight a lease another replica's finish ended, so it may deny what a read would
 * grant — a denial (or a retried id's lease, which may have ended so) is left for a read.
 */
export function fromCache(groups: readonly Group[], cache: LeaseCache, now: number): Map<string, Arbitrated> {
  const out = new Map<string, Arbitrated>();
  for (const g of groups) {
    const c = cache.current(g.name, now - g.windowMs, now);
    const waiters = c && cache.waiters.at(g.name, c.version);
    if (!c || !waiters) continue;
    const a = arbitrateGroup(g, { version: c.version, leases: c.leases, waiters }, now, true);
    if (a) out.set(g.name, a);
  }
  return out;
}
