/**
 * Counting a restart storm from agents' audit logs (issue 16; test/fleet/budget-storm-agents.test.ts,
 * checked on hand-made fixtures, broken ones included, in storm-count.test.ts):
 * - `leaseIntervals`: per lease, from the restart decision that took it (`input` budget_granted)
 *   until the event whose effects finish it (`finish_budget` with its id) — the lease as its
 *   agent held it; one never finished stays open until `now`;
 * - `skipsPerWaitEpisode`: per wait episode (entering `budget_wait` until leaving it) the
 *   `skip_fleet_budget` events written, and the denials the episode had in all (the written one
 *   plus the repeats counted on the event that ended it, `data.refusals`).
 * The peak at one moment is `peakOverlap` of budget-fleet.ts.
 */
import type { AuditEvent } from '../../src/core/audit.js';

export interface LeaseSpan {
  lease: string;
  service: string;
  from: number;
  to: number;
  finished: boolean;
}

/** One service's events (or several services': leases are keyed by id), in commit order. */
export function leaseIntervals(events: readonly AuditEvent[], now: number): LeaseSpan[] {
  const open = new Map<string, { service: string; from: number }>();
  const out: LeaseSpan[] = [];
  for (const e of events) {
    // The finish first: a failed restart's event ends its lease and may start another.
    for (const f of e.effects) {
      if (f.type !== 'finish_budget') continue;
      const held = open.get(f.leaseId);
      if (!held) continue;
      out.push({ lease: f.leaseId, ...held, to: e.at, finished: true });
      open.delete(f.leaseId);
    }
    if (e.decision === 'restart' && e.input?.type === 'budget_granted') {
      open.set(e.input.leaseId, { service: e.service ?? '', from: e.at });
    }
  }
  for (const [lease, held] of open) out.push({ lease, ...held, to: now, finished: false });
  return out;
}

export interface WaitEpisode {
  service: string;
  from: number;
  skips: number;
  /** Denials and unreachable answers in the episode: the written ones and the repeats counted. */
  refusals: number;
}

/** One service's events in commit order: its wait episodes. */
export function skipsPerWaitEpisode(events: readonly AuditEvent[]): WaitEpisode[] {
  const out: WaitEpisode[] = [];
  let cur: WaitEpisode | null = null;
  for (const e of events) {
    if (e.decision === null) continue;
    if (!cur && e.stateTo === 'budget_wait') {
      cur = { service: e.service ?? '', from: e.at, skips: 0, refusals: 0 };
      out.push(cur);
    }
    if (!cur) continue;
    if (e.decision === 'skip_fleet_budget') {
      cur.skips += 1;
      cur.refusals += 1;
    }
    const carried = (e.data?.refusals ?? []) as { reason: string; count: number }[];
    for (const r of carried) if (r.reason === 'skip_fleet_budget') cur.refusals += r.count;
    if (e.stateTo !== 'budget_wait') cur = null;
  }
  return out;
}
