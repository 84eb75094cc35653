import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbitrate,
  type BudgetLimits,
  finish,
  type GroupState,
  inFlight,
  nextInLine,
  numbers,
  prune,
} from '../../src/fleet/budget.js';

const LIMITS: BudgetLimits = { maxConcurrent: 2, maxPerWindow: 5, windowSec: 60, leaseTtlSec: 30 };
const empty: GroupState = { leases: [], waiters: [] };

type Step =
  | { kind: 'ask'; svc: number; operator: boolean }
  | { kind: 'finish'; pick: number }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('ask' as const), svc: fc.nat(9), operator: fc.constant(false) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('ask' as const), svc: fc.nat(9), operator: fc.constant(true) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(20) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 40_000 }) }),
  },
);

const limits: fc.Arbitrary<BudgetLimits> = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 4 }),
  maxPerWindow: fc.integer({ min: 1, max: 8 }),
  windowSec: fc.integer({ min: 10, max: 120 }),
  leaseTtlSec: fc.integer({ min: 5, max: 60 }),
});

describe('the fleet budget arbiter', () => {
  it('never lets automatic grants exceed maxConcurrent in flight or maxPerWindow per window (property)', () => {
    fc.assert(
      fc.property(limits, fc.array(step, { maxLength: 120 }), (lim, steps) => {
        let g = empty;
        let now = 1_000_000;
        let n = 0;
        const grants: { at: number; operator: boolean }[] = [];
        for (const s of steps) {
          if (s.kind === 'wait') now += s.ms;
          else if (s.kind === 'finish') {
            const live = g.leases.filter((l) => inFlight(l, now));
            if (live.length > 0) g = finish(g, live[s.pick % live.length]!.id, now);
          } else {
            const r = arbitrate(
              g,
              { id: `l${n++}`, node: 'n1', service: `s${s.svc}`, operator: s.operator },
              now,
              lim,
            );
            g = r.group;
            if (r.answer.granted && r.answer.lease.grantedAt === now && r.answer.lease.id === `l${n - 1}`) {
              grants.push({ at: now, operator: s.operator });
              if (!s.operator) {
                // Counted from the grants themselves, not from the arbiter's own numbers.
                const inWindow = grants.filter((x) => x.at > now - lim.windowSec * 1000).length;
                expect(inWindow).toBeLessThanOrEqual(lim.maxPerWindow);
                expect(g.leases.filter((l) => inFlight(l, now)).length).toBeLessThanOrEqual(
                  lim.maxConcurrent,
                );
              }
            }
          }
        }
      }),
    );
  });

  it('grants the oldest waiting service first (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5), { minLength: 2, maxLength: 40 }), (order) => {
        const lim = { ...LIMITS, maxConcurrent: 1, maxPerWindow: 1000 };
        let g = arbitrate(
          empty,
          { id: 'hold', node: 'n0', service: 'blocker', operator: false },
          0,
          lim,
        ).group;
        let now = 0;
        const firstAsked = new Map<string, number>();
        for (const [i, svc] of order.entries()) {
          now += 10;
          const r = arbitrate(g, { id: `l${i}`, node: 'n1', service: `s${svc}`, operator: false }, now, lim);
          g = r.group;
          if (!firstAsked.has(`s${svc}`)) firstAsked.set(`s${svc}`, now);
        }
        g = finish(g, 'hold', now);
        // Everyone asks again once capacity is free; only the one that has waited longest gets it.
        const oldest = [...firstAsked].sort((a, b) => a[1] - b[1])[0]![0];
        const granted: string[] = [];
        for (const svc of [...firstAsked.keys()].reverse()) {
          const r = arbitrate(
            g,
            { id: `again-${svc}`, node: 'n1', service: svc, operator: false },
            now + 1,
            lim,
          );
          g = r.group;
          if (r.answer.granted) granted.push(svc);
        }
        expect(granted).toEqual([oldest]);
      }),
    );
  });

  it('lets an operator restart through at once and counts it', () => {
    let g = arbitrate(empty, { id: 'a', node: 'n1', service: 'api', operator: false }, 0, LIMITS).group;
    g = arbitrate(g, { id: 'b', node: 'n2', service: 'api', operator: false }, 0, LIMITS).group;
    const forced = arbitrate(g, { id: 'c', node: 'n3', service: 'api', operator: true }, 0, LIMITS);
    expect(forced.answer).toMatchObject({ granted: true, numbers: { inFlight: 3 } });
    const auto = arbitrate(forced.group, { id: 'd', node: 'n4', service: 'api', operator: false }, 0, LIMITS);
    expect(auto.answer).toMatchObject({ granted: false, numbers: { inFlight: 3, waiting: 1 } });
  });

  it('frees the budget of a dead agent after the lease TTL and says when to ask again', () => {
    let g = arbitrate(empty, { id: 'a', node: 'dead', service: 'api', operator: false }, 0, LIMITS).group;
    g = arbitrate(g, { id: 'b', node: 'dead', service: 'worker', operator: false }, 5_000, LIMITS).group;
    const denied = arbitrate(g, { id: 'c', node: 'n2', service: 'api', operator: false }, 10_000, LIMITS);
    expect(denied.answer).toEqual({
      granted: false,
      retryAt: 30_000, // the first lease's TTL ends then
      position: 1,
      numbers: { inFlight: 2, usedInWindow: 2, waiting: 1 },
    });
    const later = arbitrate(
      denied.group,
      { id: 'c', node: 'n2', service: 'api', operator: false },
      30_000,
      LIMITS,
    );
    expect(later.answer).toMatchObject({ granted: true, numbers: { inFlight: 2 } });
  });

  it('answers a retried request (same id) with its lease; a new request of the holder is a new lease', () => {
    const first = arbitrate(empty, { id: 'a', node: 'n1', service: 'api', operator: false }, 0, LIMITS);
    const retried = arbitrate(
      first.group,
      { id: 'a', node: 'n1', service: 'api', operator: false },
      50,
      LIMITS,
    );
    expect(retried.answer).toMatchObject({ granted: true, lease: { id: 'a' } });
    expect(numbers(retried.group, 50, LIMITS).inFlight).toBe(1);
    // Changed (issue 16, the agent's half): a new request of a service that holds a lease may be
    // answered after the agent ended that lease (its finish still on the way); handing the old
    // lease back let two restarts run on one slot. It is a request like any other now.
    const again = arbitrate(
      first.group,
      { id: 'a2', node: 'n1', service: 'api', operator: false },
      100,
      LIMITS,
    );
    expect(again.answer).toMatchObject({ granted: true, lease: { id: 'a2' } });
    expect(numbers(again.group, 100, LIMITS).inFlight).toBe(2);
  });
});

describe('request ids', () => {
  it('never grants an id it still knows twice: a request retried late, after its lease ended or lapsed, is denied; a granted service is never left in line (property)', () => {
    let spent = 0;
    fc.assert(
      fc.property(
        limits,
        fc.array(fc.tuple(step, fc.nat(30), fc.boolean()), { maxLength: 120 }),
        (lim, steps) => {
          let g = empty;
          let now = 1_000_000;
          const used: string[] = [];
          for (const [s, pick, reuse] of steps) {
            if (s.kind === 'wait') now += s.ms;
            else if (s.kind === 'finish') {
              const live = g.leases.filter((l) => inFlight(l, now));
              if (live.length > 0) g = finish(g, live[s.pick % live.length]!.id, now);
            } else {
              // An old id retried (any time later), or a fresh one.
              const id = reuse && used.length > 0 ? used[pick % used.length]! : `l${used.length}`;
              if (!used.includes(id)) used.push(id);
              // The arbiter knows the leases the hub reads (in flight or granted in the window).
              const old = prune(g, now, lim).leases.find((l) => l.id === id);
              const r = arbitrate(
                g,
                { id, node: 'n1', service: `s${s.svc}`, operator: s.operator },
                now,
                lim,
              );
              g = r.group;
              // Granted (a new lease or its own back), a service is out of line; denied, in it.
              const waiting = g.waiters.some((w) => w.node === 'n1' && w.service === `s${s.svc}`);
              expect(waiting).toBe(!r.answer.granted);
              if (old && !inFlight(old, now)) {
                spent++;
                expect(r.answer.granted).toBe(false);
              }
            }
            expect(new Set(g.leases.map((l) => l.id)).size).toBe(g.leases.length);
            const auto = g.leases.filter((l) => !l.operator && inFlight(l, now)).length;
            expect(auto).toBeLessThanOrEqual(lim.maxConcurrent);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(spent).toBeGreaterThan(20);
  });
});

describe('the slot notification (nextInLine)', () => {
  it('names exactly the waiters whose request the arbiter would grant now, oldest first (property)', () => {
    let told = 0;
    fc.assert(
      fc.property(limits, fc.array(step, { maxLength: 120 }), (lim, steps) => {
        let g = empty;
        let now = 1_000_000;
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'wait') now += s.ms;
          else if (s.kind === 'finish') {
            const live = g.leases.filter((l) => inFlight(l, now));
            if (live.length > 0) g = finish(g, live[s.pick % live.length]!.id, now);
          } else {
            g = arbitrate(
              g,
              { id: `l${n++}`, node: 'n1', service: `s${s.svc}`, operator: s.operator },
              now,
              lim,
            ).group;
          }
          const next = nextInLine(g, now, lim);
          const named = new Set(next.map((w) => w.service));
          told += named.size;
          // Oldest first.
          for (let i = 1; i < next.length; i++)
            expect(next[i]!.since).toBeGreaterThanOrEqual(next[i - 1]!.since);
          // Each waiter, asking alone now, is granted iff it is named.
          for (const w of g.waiters) {
            const r = arbitrate(
              g,
              { id: 'probe', node: w.node, service: w.service, operator: false },
              now,
              lim,
            );
            if (now - w.seenAt < lim.leaseTtlSec * 1000) expect(r.answer.granted).toBe(named.has(w.service));
          }
          // All named, asking one after another: all granted, never beyond maxConcurrent.
          let h = g;
          for (const w of next) {
            const r = arbitrate(
              h,
              { id: `t${n++}`, node: w.node, service: w.service, operator: false },
              now,
              lim,
            );
            expect(r.answer.granted).toBe(true);
            h = r.group;
            const auto = h.leases.filter((l) => !l.operator && inFlight(l, now)).length;
            expect(auto).toBeLessThanOrEqual(lim.maxConcurrent);
          }
        }
      }),
    );
    expect(told).toBeGreaterThan(0);
  });
});
