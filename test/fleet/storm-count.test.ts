/**
 * The storm test's counting (storm-count.ts, budget-fleet.ts `peakOverlap`) on hand-made audit
 * logs: it must see a limit exceeded when one was (a deliberately broken fleet), not only agree
 * with a fleet that kept it, and see a skip written twice in one wait episode.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import type { Effect, Input } from '../../src/core/types.js';
import { peakOverlap } from './budget-fleet.js';
import { leaseIntervals, skipsPerWaitEpisode } from './storm-count.js';

let id = 0;
function ev(
  service: string,
  at: number,
  decision: string,
  stateFrom: string,
  stateTo: string,
  extra: { input?: Input; effects?: Effect[]; data?: Record<string, unknown> } = {},
): AuditEvent {
  return {
    id: ++id,
    at,
    service,
    kind: 'restart_decided',
    decision,
    taken: true,
    input: extra.input ?? { type: 'tick' },
    actor: null,
    reason: '',
    stateFrom,
    stateTo,
    counters: null,
    effects: extra.effects ?? [],
    mode: 'enforce',
    data: extra.data ?? null,
  } as unknown as AuditEvent;
}

const N = { inFlight: 0, usedInWindow: 0, waiting: 0 };
const granted = (s: string, at: number, lease: string) =>
  ev(s, at, 'restart', 'budget_wait', 'restarting', {
    input: { type: 'budget_granted', leaseId: lease, ...N },
    effects: [{ type: 'restart', initiator: 'auto', probe: false }],
  });
const finished = (s: string, at: number, lease: string, to = 'healthy') =>
  ev(s, at, 'restart_succeeded', 'restarting', to, {
    effects: [{ type: 'finish_budget', group: 'g', leaseId: lease, outcome: 'healthy' }],
  });

describe('counting a storm from the audit', () => {
  it('a fleet that kept maxConcurrent 2: the peak is 2; a lease handed on at the same instant does not overlap', () => {
    const a = [granted('a', 0, 'a1'), finished('a', 100, 'a1')];
    const b = [granted('b', 10, 'b1'), finished('b', 200, 'b1')];
    const c = [granted('c', 100, 'c1'), finished('c', 300, 'c1')];
    const spans = [a, b, c].flatMap((e) => leaseIntervals(e, 1000));
    expect(spans.map((s) => [s.lease, s.from, s.to])).toEqual([
      ['a1', 0, 100],
      ['b1', 10, 200],
      ['c1', 100, 300],
    ]);
    expect(peakOverlap(spans)).toBe(2);
  });

  it('a deliberately broken fleet (three leases at once) is seen as 3, and an unfinished lease counts until now', () => {
    const a = [granted('a', 0, 'a1'), finished('a', 100, 'a1')];
    const b = [granted('b', 10, 'b1')]; // never finished: open until now
    const c = [granted('c', 50, 'c1'), finished('c', 60, 'c1')];
    const spans = [a, b, c].flatMap((e) => leaseIntervals(e, 1000));
    expect(spans.find((s) => s.lease === 'b1')).toMatchObject({ to: 1000, finished: false });
    expect(peakOverlap(spans)).toBe(3);
  });

  it('a failed restart that ends its lease and takes the next one in one event: two spans, no overlap', () => {
    const events = [
      granted('a', 0, 'a1'),
      ev('a', 50, 'restart', 'restarting', 'restarting', {
        input: { type: 'budget_granted', leaseId: 'a2', ...N },
        effects: [
          { type: 'finish_budget', group: 'g', leaseId: 'a1', outcome: 'failed' },
          { type: 'restart', initiator: 'auto', probe: false },
        ],
      }),
      finished('a', 90, 'a2'),
    ];
    const spans = leaseIntervals(events, 1000);
    expect(spans.map((s) => [s.lease, s.from, s.to])).toEqual([
      ['a1', 0, 50],
      ['a2', 50, 90],
    ]);
    expect(peakOverlap(spans)).toBe(1);
  });

  it('wait episodes: one skip and its repeats; a second skip in the same episode is seen', () => {
    const skip = (at: number) => ev('a', at, 'skip_fleet_budget', 'budget_wait', 'budget_wait');
    const ok = [
      ev('a', 0, 'budget_requested', 'cooldown', 'budget_wait'),
      skip(5),
      ev('a', 9, 'budget_requested', 'budget_wait', 'budget_wait'),
      ev('a', 20, 'restart', 'budget_wait', 'restarting', {
        data: { refusals: [{ reason: 'skip_fleet_budget', count: 3, firstAt: 6, lastAt: 15, total: 4 }] },
      }),
      ev('a', 30, 'restart_failed', 'restarting', 'cooldown'),
      ev('a', 40, 'budget_requested', 'cooldown', 'budget_wait'),
      ev('a', 41, 'restart', 'budget_wait', 'restarting'),
    ];
    expect(skipsPerWaitEpisode(ok)).toEqual([
      { service: 'a', from: 0, skips: 1, refusals: 4 },
      { service: 'a', from: 40, skips: 0, refusals: 0 },
    ]);
    const broken = [ev('a', 0, 'budget_requested', 'cooldown', 'budget_wait'), skip(5), skip(9)];
    expect(skipsPerWaitEpisode(broken)[0]!.skips).toBe(2);
  });
});
