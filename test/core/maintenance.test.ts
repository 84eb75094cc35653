/**
 * Maintenance windows in decide() (issue 18, part 2): a `hold` window refuses automatic
 * restarts (`skip_maintenance`, cooldown until the window's end, nothing in the churn window or
 * backoff run), operator restarts always run, and the window's end hands the service back to its
 * policy. Properties (fast-check): no automatic restart while a hold window is active, and a
 * service left waiting by the window is handled once at its end (never forgotten, never twice).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { compact } from '../../src/core/episode.js';
import { gate } from '../../src/core/gate.js';
import type { ActiveMaintenance } from '../../src/core/maintenance.js';
import { recommend } from '../../src/core/recommend.js';
import { initialState, settle } from '../../src/core/state.js';
import type { Decision, Input, ServiceState, Surroundings } from '../../src/core/types.js';
import { inputArb, policyArb, T0 } from './arbitraries.js';
import { alice, policyOf } from './sim.js';

const H = 3600_000;
const hold = (endsAt: number, mode: 'hold' | 'shadow' = 'hold'): Surroundings => ({
  maintenance: { id: 'contract:w', name: 'w', mode, endsAt, reason: null, notify: false },
});

describe('decide() in a hold maintenance window', () => {
  const policy = policyOf({ failureThreshold: 2 });
  const healthy = decide(initialState(), { type: 'probe_ok' }, T0, policy).next;

  it('refuses the automatic restart once (skip_maintenance), waits in cooldown until the end, counts nothing as churn', () => {
    const env = hold(T0 + 2 * H);
    const d1 = decide(healthy, { type: 'exited', code: 1 }, T0 + 1000, policy, env);
    expect(d1.decision).toBe('skip_maintenance');
    expect(d1.effects).toEqual([]);
    expect(d1.next).toMatchObject({ tag: 'cooldown', cause: 'maintenance', until: T0 + 2 * H });
    expect(d1.next.churn.window).toEqual([]);
    expect(d1.next.churn.backoffLevel).toBe(0);
    expect(d1.next.churn.blocked.skip_maintenance).toBe(1);
    expect(recommend(d1.next, policy, { name: 'api', unit: 'api.service' }, T0 + 1000).code).toBe(
      'wait_maintenance',
    );
    // More failures during the window: still refused, same reason (the episode compacts them).
    const d2 = decide(d1.next, { type: 'probe_failed' }, T0 + 60_000, policy, env);
    expect(d2.decision).toBe('skip_maintenance');
    expect(nextWakeAt(d2.next, policy)).toBe(T0 + 2 * H);
    // An alert asking for a restart is an automatic restart too.
    expect(decide(d2.next, { type: 'restart_requested', ...alice }, T0 + 70_000, policy, env).decision).toBe(
      'skip_maintenance',
    );
  });

  it('operator force and approve still work during the window', () => {
    const env = hold(T0 + 2 * H);
    const waiting = decide(healthy, { type: 'exited', code: 1 }, T0 + 1000, policy, env).next;
    const forced = decide(waiting, { type: 'force_restart', ...alice }, T0 + 2000, policy, env);
    expect(forced.decision).toBe('restart_forced');
    expect(forced.effects).toEqual([{ type: 'restart', initiator: 'forced', probe: false }]);
    const open = decide(healthy, { type: 'exited', code: 78 }, T0 + 1000, policy, env).next;
    expect(open.tag).toBe('circuit_open');
    expect(decide(open, { type: 'approve', ...alice }, T0 + 2000, policy, env).decision).toBe(
      'restart_approved',
    );
  });

  it('at the end (tick at until), or when the window is cancelled early (tick without it), the restart goes through the gate', () => {
    const env = hold(T0 + 2 * H);
    const waiting = decide(healthy, { type: 'exited', code: 1 }, T0 + 1000, policy, env).next;
    const early = decide(waiting, { type: 'tick' }, T0 + H, policy, env);
    expect(early.decision).toBe('noop');
    const cancelled = decide(waiting, { type: 'tick' }, T0 + H, policy, {});
    expect(cancelled.decision).toBe('restart');
    expect(cancelled.detail).toMatch(/^Maintenance window over/);
    const ended = decide(waiting, { type: 'tick' }, T0 + 2 * H, policy, env);
    expect(ended.decision).toBe('restart');
    expect(ended.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: false }]);
    // Recovered during the window: nothing to do at its end.
    const back = decide(waiting, { type: 'probe_ok' }, T0 + H, policy, env).next;
    expect(decide(back, { type: 'tick' }, T0 + 2 * H, policy, {}).decision).toBe('noop');
  });

  it('a tick at the deadline that still finds the window (its end re-read a few ms later, or extended) re-aims the wait, written nowhere (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 * 60_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        (late, probes) => {
          const end = T0 + 2 * H;
          const crash = decide(healthy, { type: 'exited', code: 1 }, T0 + 1000, policy, hold(end));
          let runs = compact({}, healthy, { type: 'exited', code: 1 }, crash, T0 + 1000).runs;
          // The tick at the wait's own deadline sees the window end `late` ms later.
          const tick = decide(crash.next, { type: 'tick' }, end, policy, hold(end + late));
          expect(tick.decision).toBe('noop');
          expect(tick.next).toMatchObject({ tag: 'cooldown', cause: 'maintenance', until: end + late });
          const rec = compact(runs, crash.next, { type: 'tick' }, tick, end);
          expect(rec.write).toBe('state');
          runs = rec.runs;
          // A failing probe before the (re-aimed) end is still the same episode's repeat (counted,
          // at most in the periodic summary; never a second first refusal).
          const at = end + Math.min(probes, late - 1);
          if (at < end + late) {
            const again = decide(tick.next, { type: 'probe_failed' }, at, policy, hold(end + late));
            expect(again.decision).toBe('skip_maintenance');
            expect(compact(runs, tick.next, { type: 'probe_failed' }, again, at).write).not.toBe('event');
          }
          // At the window's end the restart goes through the gate, once.
          expect(decide(tick.next, { type: 'tick' }, end + late, policy, hold(end + late)).decision).toBe(
            'restart',
          );
        },
      ),
    );
  });

  it('a shadow window changes nothing in decide() (the engine records the effects unexecuted)', () => {
    const d = decide(healthy, { type: 'exited', code: 1 }, T0 + 1000, policy, hold(T0 + H, 'shadow'));
    expect(d.decision).toBe('restart');
  });

  it('a half-open circuit keeps its probe for the end of the window', () => {
    const open = decide(healthy, { type: 'exited', code: 78 }, T0 + 1000, policy).next;
    const half = decide(open, { type: 'tick' }, nextWakeAt(open, policy)!, policy).next;
    expect(half.tag).toBe('half_open');
    const at = nextWakeAt(open, policy)! + 1000;
    const env = hold(at + H);
    const d = decide(half, { type: 'exited', code: 1 }, at, policy, env);
    expect(d.decision).toBe('skip_maintenance');
    expect(d.next.tag).toBe('half_open');
    const end = decide(d.next, { type: 'tick' }, at + H, policy, {});
    expect(end.decision).toBe('restart');
    expect(end.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: true }]);
  });
});

/** A random run with a hold window [from, until); the engine's one tick at `until` is inserted. */
interface Run {
  records: { at: number; input: Input; before: ServiceState; d: Decision; env: Surroundings }[];
  endTick: { before: ServiceState; d: Decision } | null;
}

function runWithWindow(
  policy: ReturnType<typeof policyOf>,
  steps: { advanceMs: number; input: Input; wake: boolean }[],
  from: number,
  until: number,
): Run {
  const win: ActiveMaintenance = {
    id: 'adhoc:1',
    name: 'adhoc-1',
    mode: 'hold',
    endsAt: until,
    reason: 'x',
    notify: false,
  };
  const envAt = (t: number): Surroundings => (t >= from && t < until ? { maintenance: win } : {});
  const out: Run = { records: [], endTick: null };
  let s: ServiceState = initialState();
  let now = T0;
  const feed = (at: number, input: Input) => {
    const env = envAt(at);
    const d = decide(s, input, at, policy, env);
    out.records.push({ at, input, before: s, d, env });
    s = d.next;
    return d;
  };
  for (const step of steps) {
    let next = now + step.advanceMs;
    if (step.wake) {
      const w = nextWakeAt(s, policy);
      if (w === null) continue;
      next = Math.max(now, w);
    }
    if (out.endTick === null && next >= until) {
      // The engine ticks every affected service once when the window ends.
      now = Math.max(now, until);
      const before = s;
      out.endTick = { before, d: feed(now, { type: 'tick' }) };
    }
    now = Math.max(now, next);
    feed(now, step.input.type === 'tick' || step.wake ? { type: 'tick' } : step.input);
  }
  return out;
}

const stepsArb = fc.array(
  fc.record({
    advanceMs: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 900_000 })),
    input: inputArb,
    wake: fc.boolean(),
  }),
  { minLength: 1, maxLength: 150 },
);

describe('properties of hold windows', () => {
  it('no automatic restart is decided while a hold window is active; operator ones still are', () => {
    fc.assert(
      fc.property(
        policyArb,
        stepsArb,
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1, max: 7_200_000 }),
        (policy, steps, offset, len) => {
          const run = runWithWindow(policy, steps, T0 + offset, T0 + offset + len);
          for (const r of run.records) {
            if (!r.env.maintenance) continue;
            for (const e of r.d.effects) if (e.type === 'restart') expect(e.initiator).not.toBe('auto');
            if (r.input.type === 'force_restart') expect(r.d.decision).toBe('restart_forced');
            // Nothing held enters the churn window.
            if (r.d.decision === 'skip_maintenance')
              expect(r.d.next.churn.window.length).toBe(settle(r.before, r.at, policy).churn.window.length);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a service waiting for the window at its end is handled by its policy then, once; none stays waiting', () => {
    let waited = 0;
    fc.assert(
      fc.property(
        policyArb,
        stepsArb,
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        (policy, steps, offset, len) => {
          const until = T0 + offset + len;
          const run = runWithWindow(policy, steps, T0 + offset, until);
          if (!run.endTick) return;
          const { before, d } = run.endTick;
          // After the end nobody waits for a window that is over.
          expect(d.next.tag === 'cooldown' && d.next.cause === 'maintenance').toBe(false);
          if (before.tag === 'cooldown' && before.cause === 'maintenance') {
            waited += 1;
            const settled = settle(before, until, policy);
            const g = gate(settled.churn, until, policy);
            if (g.kind === 'go') {
              expect(d.decision).toBe('restart');
              // Handled once: a second tick at the same instant restarts nothing more.
              expect(decide(d.next, { type: 'tick' }, until, policy).effects).toEqual([]);
            } else if (g.kind === 'full') expect(d.decision).toBe('circuit_opened');
            else expect(d.next).toMatchObject({ tag: 'cooldown', until: g.until });
          }
        },
      ),
      { numRuns: 400 },
    );
    // The property is not vacuous: many runs end their window with a service waiting for it.
    expect(waited).toBeGreaterThan(40);
  });
});
