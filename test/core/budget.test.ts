/**
 * The fleet restart budget in decide() (issue 16): the policy key, the wait for a lease, the
 * hub's answers as inputs, operator restarts counted, leases ended with their restart — and, on
 * random interleavings of a small fleet sharing the real arbiter (src/fleet/budget.ts), never
 * more than maxConcurrent automatic restarts holding a lease at once, `skip_fleet_budget`
 * written at most once per wait — with the node's slot notification naming its services
 * (`mayAsk`) and answers lost on the way back (the request was arbitrated, the agent saw a
 * timeout and asks again with the same lease id, as LeaseIds does).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaseIds } from '../../src/agent/lease-ids.js';
import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { compact, episodeOf, type Runs } from '../../src/core/episode.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../../src/core/policy.js';
import { shiftState } from '../../src/core/shift.js';
import { initialState } from '../../src/core/state.js';
import type { Decision, Effect, Input, ServiceState } from '../../src/core/types.js';
import { arbitrate, type BudgetLimits, finish, type GroupState, inFlight } from '../../src/fleet/budget.js';
import { mayAsk } from '../../src/fleet/slot-notice.js';
import { policyArb, T0 } from './arbitraries.js';

const BUDGET = {
  group: 'shop-api',
  maxConcurrent: 2,
  maxPerWindow: 10,
  windowSec: 300,
  onHubUnreachable: 'local' as const,
  timeoutMs: 500,
};
const P: Policy = { ...DEFAULT_POLICY, budget: BUDGET };
const WAIT: Policy = { ...P, budget: { ...BUDGET, onHubUnreachable: 'wait' } };
const OP = { actor: 'alice', reason: 'deploy' };
const N = { inFlight: 2, usedInWindow: 4, waiting: 3 };

const crash: Input = { type: 'exited', code: 1 };

function waiting(policy = P): ServiceState {
  const d = decide(initialState(), crash, T0, policy);
  expect(d.next.tag).toBe('budget_wait');
  return d.next;
}

describe('the budget policy key', () => {
  it('accepts a budget with defaults for onHubUnreachable and timeoutMs', () => {
    const r = parsePolicy({
      budget: { group: 'shop-api', maxConcurrent: 2, maxPerWindow: 10, windowSec: 300 },
    });
    expect(r.ok && r.value.budget).toEqual({ ...BUDGET });
  });

  it('rejects unknown keys and infeasible values, every problem at once, each with its reason', () => {
    const r = parsePolicy({
      budget: {
        group: 'shop api',
        maxConcurrent: 5,
        maxPerWindow: 3,
        windowSec: 300,
        onHubUnreachable: 'ignore',
        timeoutMs: 500,
        maxConcurent: 2,
      },
    });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['budget.group', 'budget.onHubUnreachable', 'budget.maxConcurent']),
    );
    // The cross-field rule needs a parsed shape: alone, it is reported with its reason.
    const r2 = parsePolicy({ budget: { group: 'g', maxConcurrent: 5, maxPerWindow: 3, windowSec: 60 } });
    expect(r2.ok ? [] : r2.problems).toEqual([
      expect.objectContaining({
        path: 'budget.maxPerWindow',
        message: expect.stringMatching(/below budget.maxConcurrent/),
      }),
    ]);
    const r3 = parsePolicy({
      startupGraceSec: 1,
      budget: { group: 'g', maxConcurrent: 1, maxPerWindow: 3, windowSec: 60, timeoutMs: 2000 },
    });
    expect(r3.ok ? [] : r3.problems.map((p) => p.path)).toEqual(['budget.timeoutMs']);
  });

  it('without a budget, decide() asks nobody: a crash restarts at once, as before', () => {
    const d = decide(initialState(), crash, T0, DEFAULT_POLICY);
    expect(d.decision).toBe('restart');
    expect(d.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: false }]);
  });
});

describe('decide() with a fleet budget', () => {
  it('asks for a lease instead of restarting, and restarts holding it when granted', () => {
    const d = decide(initialState(), crash, T0, P);
    expect(d.decision).toBe('budget_requested');
    expect(d.effects).toEqual([{ type: 'request_budget', group: 'shop-api', operator: false }]);
    const g = decide(d.next, { type: 'budget_granted', leaseId: 'L1', ...N }, T0 + 40, P);
    expect(g.decision).toBe('restart');
    expect(g.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: false }]);
    expect(g.next).toMatchObject({ tag: 'restarting', lease: { group: 'shop-api', id: 'L1' } });
    // The outcome is known: the lease ends with the restarting state.
    const ok = decide(g.next, { type: 'probe_ok' }, T0 + 2000, P);
    expect(ok.decision).toBe('recovered');
    expect(ok.effects).toEqual([
      { type: 'finish_budget', group: 'shop-api', leaseId: 'L1', outcome: 'healthy' },
    ]);
  });

  it('a failed leased restart ends its lease as failed and asks again through the gate', () => {
    const s = decide(waiting(), { type: 'budget_granted', leaseId: 'L1', ...N }, T0 + 1, P).next;
    const f = decide(s, { type: 'exited', code: 1 }, T0 + 2000, P);
    expect(f.effects).toContainEqual({
      type: 'finish_budget',
      group: 'shop-api',
      leaseId: 'L1',
      outcome: 'failed',
    });
    expect(f.next.tag).toBe('cooldown');
  });

  it('a denial is skip_fleet_budget with the group’s numbers, asking again at the hub’s retry (≤ 1 s per round of maxConcurrent ahead)', () => {
    const d = decide(waiting(), { type: 'budget_denied', retryInMs: 60_000, position: 3, ...N }, T0 + 10, P);
    expect(d.decision).toBe('skip_fleet_budget');
    expect(d.detail).toMatch(/2\/2 in flight, 4\/10 in 300s, 3 waiting, this service #3 in shop-api/);
    expect(d.next).toMatchObject({
      tag: 'budget_wait',
      denied: { inFlight: 2, usedInWindow: 4, waiting: 3, position: 3 },
    });
    // Third in line with 2 slots: the second round, so asked again after 2 × 1 s (not the hub's 60 s).
    expect(nextWakeAt(d.next, P)).toBe(T0 + 10 + 2000);
    const t = decide(d.next, { type: 'tick' }, T0 + 2010, P);
    expect(t.decision).toBe('budget_requested');
    expect(t.effects).toEqual([{ type: 'request_budget', group: 'shop-api', operator: false }]);
  });

  it('writes the denial once per wait: repeats are counted, re-asks committed without an event', () => {
    let s = waiting();
    let runs: Runs = {};
    let now = T0;
    const written: string[] = [];
    for (let i = 0; i < 5; i++) {
      for (const input of [
        { type: 'budget_denied', retryInMs: 500, position: 1, ...N } as Input,
        { type: 'tick' } as Input,
      ]) {
        now = Math.max(now + 1, input.type === 'tick' ? (nextWakeAt(s, P) ?? now) : now);
        const d = decide(s, input, now, P);
        const rec = compact(runs, s, input, d, now);
        runs = rec.runs;
        if (rec.write === 'event' || rec.write === 'summary') written.push(d.decision);
        s = d.next;
      }
    }
    expect(written).toEqual(['skip_fleet_budget']);
    expect(s.churn.blocked.skip_fleet_budget).toBe(5);
  });

  it('a waiting service probed again and again writes nothing per probe; its failure count stays exact; a crash is written', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('probe', 'crash'), { maxLength: 40 }), (steps) => {
        let s = waiting();
        let runs: Runs = {};
        let now = T0;
        const written: string[] = [];
        for (const step of steps) {
          now += 200;
          const input: Input = step === 'probe' ? { type: 'probe_failed', detail: 'HTTP 503' } : crash;
          const d = decide(s, input, now, P);
          const rec = compact(runs, s, input, d, now);
          runs = rec.runs;
          if (rec.write === 'event' || rec.write === 'summary') written.push(`${step}:${d.decision}`);
          expect(rec.write).not.toBe('none'); // the count is committed
          if (step === 'probe') expect(d.next.failures).toBe(s.failures + 1);
          s = d.next;
        }
        expect(s.tag).toBe('budget_wait');
        expect(written).toEqual(steps.filter((x) => x === 'crash').map(() => 'crash:failure_counted'));
      }),
    );
  });

  it('hub unreachable: local restarts under the local limits, wait restarts nothing and asks again', () => {
    const local = decide(
      waiting(),
      { type: 'budget_unreachable', reason: 'no answer within 500 ms' },
      T0 + 500,
      P,
    );
    expect(local.decision).toBe('restart');
    expect(local.next).toMatchObject({ tag: 'restarting' });
    expect((local.next as { lease?: unknown }).lease).toBeUndefined();
    const w = decide(
      waiting(WAIT),
      { type: 'budget_unreachable', reason: 'no answer within 500 ms' },
      T0 + 500,
      WAIT,
    );
    expect(w.decision).toBe('skip_fleet_budget');
    expect(w.effects).toEqual([]);
    expect(w.next).toMatchObject({ tag: 'budget_wait', unreachable: 'no answer within 500 ms' });
    expect(nextWakeAt(w.next, WAIT)).toBe(T0 + 10_500);
    // Watching for its slot through the hub's notification: the re-ask is a 30 s safety net, and
    // `local` still restarts at once (its semantics are not the notification's to change).
    const notified = {
      type: 'budget_unreachable' as const,
      reason: 'no answer within 500 ms',
      notified: true,
    };
    const n = decide(waiting(WAIT), notified, T0 + 500, WAIT);
    expect(n.decision).toBe('skip_fleet_budget');
    expect(nextWakeAt(n.next, WAIT)).toBe(T0 + 30_500);
    expect(n.detail).toMatch(/notifies this node/);
    expect(decide(waiting(), notified, T0 + 500, P).decision).toBe('restart');
    const told = decide(n.next, { type: 'budget_slot_free' }, T0 + 900, WAIT);
    expect(told.decision).toBe('budget_requested');
    expect(told.effects).toEqual([{ type: 'request_budget', group: 'shop-api', operator: false }]);
  });

  it('operator restarts never wait but are counted; the lease ends with the restart', () => {
    const f = decide(waiting(), { type: 'force_restart', ...OP }, T0 + 5, P);
    expect(f.decision).toBe('restart_forced');
    expect(f.effects).toEqual([
      { type: 'restart', initiator: 'forced', probe: false },
      { type: 'request_budget', group: 'shop-api', operator: true },
    ]);
    const c = decide(f.next, { type: 'budget_granted', leaseId: 'OP1', operator: true, ...N }, T0 + 6, P);
    expect(c.decision).toBe('budget_counted');
    expect(c.effects).toEqual([]);
    const ok = decide(c.next, { type: 'probe_ok' }, T0 + 1000, P);
    expect(ok.effects).toEqual([
      { type: 'finish_budget', group: 'shop-api', leaseId: 'OP1', outcome: 'healthy' },
    ]);
    // The wait's own grant arrives late: nothing waits for it, it is returned at once.
    const late = decide(ok.next, { type: 'budget_granted', leaseId: 'L9', ...N }, T0 + 1001, P);
    expect(late.decision).toBe('budget_released');
    expect(late.effects).toEqual([
      { type: 'finish_budget', group: 'shop-api', leaseId: 'L9', outcome: 'unused' },
    ]);
  });

  it('a service that recovers while waiting needs no restart; a half-open probe waits too', () => {
    expect(decide(waiting(), { type: 'probe_ok' }, T0 + 5, P).decision).toBe('recovered');
    // Half-open: exit 78 opens the circuit; at reopensAt the probe restart waits for the budget.
    let s = decide(initialState(), { type: 'exited', code: 78 }, T0, P).next;
    s = decide(s, { type: 'tick' }, nextWakeAt(s, P)!, P).next;
    expect(s.tag).toBe('half_open');
    const w = decide(s, crash, (s as { since: number }).since + 1, P);
    expect(w.next).toMatchObject({ tag: 'budget_wait', probe: true });
    const g = decide(
      w.next,
      { type: 'budget_granted', leaseId: 'P1', ...N },
      (w.next as { since: number }).since + 1,
      P,
    );
    expect(g.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: true }]);
  });

  it('states round-trip JSON and shift in time', () => {
    const w = decide(
      waiting(),
      { type: 'budget_denied', retryInMs: 500, position: 1, ...N },
      T0 + 10,
      P,
    ).next;
    const r = decide(w, { type: 'budget_granted', leaseId: 'L1', ...N }, T0 + 20, P).next;
    for (const s of [w, r]) {
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      expect(shiftState(shiftState(s, 777), -777)).toEqual(s);
    }
    expect(shiftState(w, 1000)).toMatchObject({
      since: T0 + 1000,
      askAt: (w as { askAt: number }).askAt + 1000,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A small fleet on random interleavings: services decide, the agent's messages to the hub are
// delivered per service in order (the engine's per-service budget queue) but interleaved across
// services at random, the hub may be down, time jumps and every due tick fires.

type Msg = { kind: 'request'; operator: boolean } | { kind: 'finish'; leaseId: string };
type Action =
  | { kind: 'input'; svc: number; input: Input }
  /** `lost`: the hub arbitrated the request but its answer never came back (a timeout). */
  | { kind: 'deliver'; svc: number; lost: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'hub'; up: boolean }
  /** The node's slot notification: its waiting services the hub names now (mayAsk) are told. */
  | { kind: 'notify' };

const actionArb = (n: number): fc.Arbitrary<Action> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('input' as const),
        svc: fc.integer({ min: 0, max: n - 1 }),
        input: fc.oneof(
          { weight: 5, arbitrary: fc.constant<Input>(crash) },
          { weight: 1, arbitrary: fc.constant<Input>({ type: 'probe_ok' }) },
          { weight: 2, arbitrary: fc.constant<Input>({ type: 'probe_failed' }) },
          { weight: 1, arbitrary: fc.constant<Input>({ type: 'force_restart', ...OP }) },
          { weight: 2, arbitrary: fc.constant<Input>({ type: 'restart_succeeded' }) },
        ),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('deliver' as const),
        svc: fc.integer({ min: 0, max: n - 1 }),
        lost: fc.nat(9).map((x) => x < 2),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        ms: fc.integer({ min: 1, max: 90_000 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('hub' as const), up: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('notify' as const) }) },
  );

const fleetArb = fc
  .tuple(
    policyArb,
    fc.integer({ min: 1, max: 3 }),
    fc.constantFrom<'local' | 'wait'>('local', 'wait'),
    fc.integer({ min: 3, max: 7 }),
  )
  .chain(([base, maxConcurrent, onHubUnreachable, n]) =>
    fc.record({
      policy: fc.constant<Policy>({
        ...base,
        budget: {
          group: 'g',
          maxConcurrent,
          maxPerWindow: maxConcurrent * 4,
          windowSec: 120,
          onHubUnreachable,
          timeoutMs: 500,
        },
      }),
      n: fc.constant(n),
      actions: fc.array(actionArb(n), { minLength: 1, maxLength: 250, size: 'max' }),
    }),
  );

describe('a fleet sharing one budget (property)', () => {
  it('never has more than maxConcurrent automatic restarts holding a lease, slot notifications interleaved, and writes each denial once per wait', () => {
    // The runs must reach the interesting cases, or the property proves nothing.
    const seen = { full: 0, denied: 0, notified: 0, lost: 0, regained: 0 };
    fc.assert(
      fc.property(fleetArb, ({ policy, n, actions }) => {
        const budget = policy.budget!;
        const limits: BudgetLimits = { ...budget, leaseTtlSec: 2 * policy.startupGraceSec + 60 };
        let group: GroupState = { leases: [], waiters: [] };
        let hubUp = true;
        let now = T0;
        let ids = 0;
        const states: ServiceState[] = Array.from({ length: n }, () => initialState());
        const lastAt: number[] = Array(n).fill(T0);
        const outbox: Msg[][] = Array.from({ length: n }, () => []);
        const runs: Runs[] = Array.from({ length: n }, () => ({}));
        const deniedWritten = new Map<string, number>();
        const waits: number[] = Array(n).fill(0);
        /** The node's lease ids, as the agent keeps them: an unanswered request's asked again until answered. */
        const leaseIds = new LeaseIds('n', () => `L${ids++}`);

        const check = () => {
          const holders = states.filter((s) => s.tag === 'restarting' && s.initiator === 'auto' && s.lease);
          expect(holders.length).toBeLessThanOrEqual(budget.maxConcurrent);
          const auto = group.leases.filter((l) => !l.operator && inFlight(l, now));
          expect(auto.length).toBeLessThanOrEqual(budget.maxConcurrent);
          // A lease id is never granted twice (the hub's table keys leases by id).
          expect(new Set(group.leases.map((l) => l.id)).size).toBe(group.leases.length);
          if (holders.length === budget.maxConcurrent) seen.full++;
        };
        const apply = (i: number, input: Input, at: number) => {
          const prev = states[i];
          const d: Decision = decide(prev, input, at, policy, { service: `s${i}`, node: 'n' });
          const rec = compact(runs[i], prev, input, d, at);
          runs[i] = rec.runs;
          if (d.decision === 'skip_fleet_budget' && input.type === 'budget_denied') seen.denied++;
          // A wait is a new one when the state enters budget_wait (two waits may start in the same ms).
          if (d.next.tag === 'budget_wait' && prev.tag !== 'budget_wait') waits[i]++;
          if (d.decision === 'skip_fleet_budget' && rec.write === 'event') {
            const key = `${i}:${waits[i]}:${episodeOf(d.next)}`;
            deniedWritten.set(key, (deniedWritten.get(key) ?? 0) + 1);
            expect(deniedWritten.get(key)).toBe(1);
          }
          states[i] = d.next;
          lastAt[i] = at;
          for (const e of d.effects as Effect[]) {
            if (e.type === 'request_budget') outbox[i].push({ kind: 'request', operator: e.operator });
            if (e.type === 'finish_budget') outbox[i].push({ kind: 'finish', leaseId: e.leaseId });
          }
          check();
        };
        const fireTicksUntil = (t: number) => {
          for (let guard = 0; guard < 10_000; guard++) {
            let best = -1;
            let bestAt = Number.POSITIVE_INFINITY;
            states.forEach((s, i) => {
              const w = nextWakeAt(s, policy, { node: 'n', service: `s${i}` });
              if (w !== null && Math.max(w, lastAt[i]) < bestAt) {
                bestAt = Math.max(w, lastAt[i]);
                best = i;
              }
            });
            if (best < 0 || bestAt > t) return;
            now = Math.max(now, bestAt);
            const before = JSON.stringify(states[best]);
            apply(best, { type: 'tick' }, now);
            // A tick that changed nothing at its deadline would spin (the engine disarms it too).
            if (JSON.stringify(states[best]) === before && nextWakeAt(states[best], policy) === bestAt)
              return;
          }
        };

        for (const a of actions) {
          if (a.kind === 'advance') {
            fireTicksUntil(now + a.ms);
            now += a.ms;
          } else if (a.kind === 'hub') hubUp = a.up;
          else if (a.kind === 'notify') {
            if (!hubUp) continue;
            // One wait for the node's waiting services; told in any order and at any time relative
            // to the other messages (a long-poll answer races the re-asks): the request it makes
            // still goes through the arbiter.
            const waiting = states.flatMap((st, i) => (st.tag === 'budget_wait' ? [`s${i}`] : []));
            for (const service of mayAsk(group, now, limits, [{ node: 'n', services: waiting }]).get('n') ??
              []) {
              const i = Number(service.slice(1));
              const d = decide(states[i]!, { type: 'budget_slot_free' }, now, policy);
              expect(d.decision).toBe('budget_requested');
              seen.notified++;
              apply(i, { type: 'budget_slot_free' }, now);
            }
          } else if (a.kind === 'input') apply(a.svc, a.input, now);
          else {
            const msg = outbox[a.svc].shift();
            if (!msg) continue;
            if (msg.kind === 'finish') {
              if (hubUp) group = finish(group, msg.leaseId, now);
              continue;
            }
            if (!hubUp) {
              apply(a.svc, { type: 'budget_unreachable', reason: 'hub down' }, now);
              continue;
            }
            const id = msg.operator ? leaseIds.fresh(`s${a.svc}`) : leaseIds.auto('g', `s${a.svc}`);
            const req = { id, node: 'n', service: `s${a.svc}`, operator: msg.operator };
            const had = group.leases.some((l) => l.id === id && inFlight(l, now));
            const r = arbitrate(group, req, now, limits);
            group = r.group;
            if (!msg.operator)
              if (a.lost) leaseIds.unanswered('g', `s${a.svc}`, id);
              else leaseIds.answered('g', `s${a.svc}`);
            if (a.lost) {
              // Arbitrated, but the answer timed out: `wait` watches for its slot, `local` goes on.
              seen.lost++;
              const notified = budget.onHubUnreachable === 'wait' && !msg.operator;
              apply(
                a.svc,
                { type: 'budget_unreachable', reason: 'timeout', ...(notified ? { notified } : {}) },
                now,
              );
              continue;
            }
            if (had && r.answer.granted) seen.regained++;
            const answer: Input = r.answer.granted
              ? {
                  type: 'budget_granted',
                  leaseId: r.answer.lease.id,
                  ...r.answer.numbers,
                  ...(msg.operator ? { operator: true } : {}),
                }
              : {
                  type: 'budget_denied',
                  retryInMs: r.answer.retryAt - now,
                  position: r.answer.position,
                  ...r.answer.numbers,
                };
            apply(a.svc, answer, now);
          }
        }
      }),
      { numRuns: 300 },
    );
    console.log('seen', seen);
    expect(seen.full).toBeGreaterThan(100);
    expect(seen.denied).toBeGreaterThan(100);
    expect(seen.notified).toBeGreaterThan(50);
    expect(seen.lost).toBeGreaterThan(50);
    expect(seen.regained).toBeGreaterThan(5);
  });
});
