/**
 * What the node's slot notification names (src/fleet/slot-notice.ts `mayAsk`), on random group
 * states built by the real arbiter, with random sets of services one node waits for (waiters,
 * services the hub never heard of, grants whose answer was lost): every named service asking is
 * granted (a lost grant: its own lease back), asking in any order never takes an older waiter's
 * slot nor exceeds maxConcurrent, and a waiter is named iff the arbiter would grant it now.
 * `nextLapse` is when the free slots grow with nobody finishing.
 */
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
import { mayAsk, nextLapse } from '../../src/fleet/slot-notice.js';

type Step =
  | { kind: 'ask'; node: number; svc: number; operator: boolean }
  | { kind: 'finish'; pick: number }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('ask' as const),
      node: fc.nat(1),
      svc: fc.nat(5),
      operator: fc.nat(9).map((x) => x < 2),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 40_000 }) }),
  },
);

const limitsArb: fc.Arbitrary<BudgetLimits> = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 4 }),
  maxPerWindow: fc.integer({ min: 1, max: 10 }),
  windowSec: fc.integer({ min: 10, max: 120 }),
  leaseTtlSec: fc.integer({ min: 5, max: 60 }),
});

/** A group state reached by the real arbiter (some leases "lost": granted, answer never seen). */
function build(steps: Step[], lim: BudgetLimits): { g: GroupState; now: number } {
  let g: GroupState = { leases: [], waiters: [] };
  let now = 1_000_000;
  let n = 0;
  for (const s of steps) {
    if (s.kind === 'wait') now += s.ms;
    else if (s.kind === 'finish') {
      const live = g.leases.filter((l) => inFlight(l, now));
      if (live.length > 0) g = finish(g, live[s.pick % live.length]!.id, now);
    } else {
      const req = { id: `l${n++}`, node: `n${s.node}`, service: `s${s.svc}`, operator: s.operator };
      g = arbitrate(g, req, now, lim).group;
    }
  }
  return { g, now };
}

const autoInFlight = (g: GroupState, now: number) =>
  g.leases.filter((l) => !l.operator && inFlight(l, now)).length;

describe("the node's slot notification (mayAsk)", () => {
  it("names only services whose request the arbiter grants now; in any order, across nodes, they keep the limit and the older waiters' slots (property)", () => {
    const seen = { waiter: 0, lost: 0, unknown: 0 };
    const names = ['s0', 's1', 's2', 's3', 's4', 's5', 'x1', 'x2'];
    fc.assert(
      fc.property(
        limitsArb,
        fc.array(step, { maxLength: 80 }),
        fc.subarray(names),
        fc.subarray(names),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        fc.nat(3),
        (lim, steps, first, second, swap, seed, ends) => {
          // Leases ending last leave free slots with waiters still waiting: the case to name.
          const tail: Step[] = Array.from({ length: ends }, (_, pick) => ({ kind: 'finish', pick }));
          const { g, now } = build([...steps, ...tail], lim);
          // Two nodes' waits, parked in either order.
          const asked = [
            { node: 'n0', services: first },
            { node: 'n1', services: second },
          ];
          if (swap) asked.reverse();
          const named = mayAsk(g, now, lim, asked);
          const inLine = nextInLine(g, now, lim);
          const isNamed = (node: string, s: string) => named.get(node)?.has(s) ?? false;
          const live = (node: string, s: string) =>
            g.leases.find((l) => l.node === node && l.service === s && !l.operator && inFlight(l, now));
          // Silent waiters are forgotten by both (prune).
          const fresh = prune(g, now, lim);
          const waiting = (node: string, s: string) =>
            fresh.waiters.some((w) => w.node === node && w.service === s);
          for (const { node, services } of asked) {
            for (const s of named.get(node) ?? []) expect(services).toContain(s);
            // A waiter is named iff the arbiter would grant it now (its place in line).
            for (const s of services.filter((x) => waiting(node, x))) {
              const alone = arbitrate(g, { id: 'probe', node, service: s, operator: false }, now, lim);
              expect(isNamed(node, s)).toBe(alone.answer.granted);
            }
          }
          // Everyone named asks, in a random order (a lost grant with its own id): each is granted.
          let h = g;
          const rank = ([node, s]: [string, string]) =>
            ((node.charCodeAt(1) * 13 + s.charCodeAt(0) * 7 + s.charCodeAt(1)) * 31 + seed) % 17;
          const order = [...named].flatMap(([node, set]) => [...set].map((s): [string, string] => [node, s]));
          order.sort((a, b) => rank(a) - rank(b));
          for (const [node, s] of order) {
            const held = live(node, s);
            const kind = waiting(node, s) ? 'waiter' : held ? 'lost' : 'unknown';
            seen[kind]++;
            const id = kind === 'lost' ? held!.id : `new-${node}-${s}`;
            const r = arbitrate(h, { id, node, service: s, operator: false }, now, lim);
            expect(r.answer.granted).toBe(true);
            if (kind === 'lost') expect(r.answer.granted && r.answer.lease.id).toBe(held!.id);
            h = r.group;
            expect(autoInFlight(h, now)).toBeLessThanOrEqual(
              Math.max(lim.maxConcurrent, autoInFlight(g, now)),
            );
          }
          // The waiters that were in line and not asked still get their slots.
          for (const w of inLine) {
            if (isNamed(w.node, w.service)) continue;
            const r = arbitrate(
              h,
              { id: `w-${w.node}-${w.service}`, node: w.node, service: w.service, operator: false },
              now,
              lim,
            );
            expect(r.answer.granted).toBe(true);
            h = r.group;
          }
        },
      ),
      { numRuns: 1000 },
    );
    console.log('named', seen);
    expect(seen.waiter).toBeGreaterThan(20);
    expect(seen.lost).toBeGreaterThan(5);
    expect(seen.unknown).toBeGreaterThan(5);
  });

  it('nextLapse: no free slot appears before it without a finish, and one may at it (property)', () => {
    fc.assert(
      fc.property(limitsArb, fc.array(step, { maxLength: 80 }), (lim, steps) => {
        const { g, now } = build(steps, lim);
        const at = nextLapse(g, now, lim);
        const free = (t: number) => {
          const n = numbers(g, t, lim);
          return Math.min(lim.maxConcurrent - n.inFlight, lim.maxPerWindow - n.usedInWindow);
        };
        if (at === null) {
          expect(free(now + 1_000_000)).toBe(free(now));
          return;
        }
        expect(at).toBeGreaterThan(now);
        expect(free(at - 1)).toBe(free(now));
      }),
      { numRuns: 500 },
    );
  });
});
