/**
 * The engine's monotonic timeline (issue 21): wall time for records and people, monotonic time
 * for every wait; steps noticed once; stored states re-based conservatively on start.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { elapsedWhileDown, STEP_THRESHOLD_MS, Timeline } from '../../src/engine/timeline.js';
import { FAIL3, feed, policy, rig } from './helpers.js';

const H = 3600_000;

describe('SimulatedClock with independent wall and monotonic time', () => {
  it('steps the wall clock alone: no timer fires, monotonic time and due times stay', () => {
    const clock = new SimulatedClock(1_000_000, { monotonic: 5_000 });
    const fired: [number, number][] = [];
    clock.setTimeout(() => fired.push([clock.now(), clock.monotonic()]), 1_000);
    clock.stepWall(H);
    expect(fired).toEqual([]);
    expect([clock.now(), clock.monotonic()]).toEqual([1_000_000 + H, 5_000]);
    clock.stepWall(-2 * H);
    clock.advance(1_000);
    expect(fired).toEqual([[1_001_000 - H, 6_000]]);
  });

  it('reboots: a new origin, monotonic time from the given uptime, pending timers gone', () => {
    const clock = new SimulatedClock(1_000_000, { origin: 'a' });
    clock.setTimeout(() => {
      throw new Error('fired after reboot');
    }, 10);
    clock.reboot({ downMs: 60_000, monotonic: 7_000, origin: 'b' });
    expect([clock.now(), clock.monotonic(), clock.monotonicOrigin, clock.pending()]).toEqual([
      1_060_000,
      7_000,
      'b',
      0,
    ]);
    clock.advance(100);
  });
});

describe('elapsedWhileDown: how much time a re-based state has aged', () => {
  const now = { wall: 10 * H, mono: 2 * H, engine: 0 };
  it('is exact on the monotonic clock within one boot, whatever the wall clock did', () => {
    expect(elapsedWhileDown({ wallAt: 11 * H, monoAt: 2 * H - 60_000, monoOrigin: 'b1' }, now, 'b1')).toBe(
      60_000,
    );
  });
  it('after a reboot: the wall difference, at least 0, at most the time since boot', () => {
    expect(elapsedWhileDown({ wallAt: 10 * H - 60_000, monoAt: 5, monoOrigin: 'b0' }, now, 'b1')).toBe(
      60_000,
    );
    expect(elapsedWhileDown({ wallAt: 11 * H, monoAt: 5, monoOrigin: 'b0' }, now, 'b1')).toBe(0);
    expect(elapsedWhileDown({ wallAt: 0, monoAt: 5, monoOrigin: 'b0' }, now, 'b1')).toBe(2 * H);
    expect(elapsedWhileDown({ wallAt: 10 * H - 60_000, monoAt: null, monoOrigin: null }, now, 'b1')).toBe(
      60_000,
    );
  });
  it('is 0 when the monotonic origin is unknown', () => {
    expect(elapsedWhileDown({ wallAt: 0, monoAt: 5, monoOrigin: null }, now, null)).toBe(0);
  });
});

describe('Timeline', () => {
  it('notices a step once, with its size, and ignores drift below the threshold', () => {
    const clock = new SimulatedClock(1_000_000);
    const t = new Timeline(clock);
    const seen: number[] = [];
    t.onStep((s) => seen.push(s.byMs));
    clock.stepWall(STEP_THRESHOLD_MS); // not above the threshold
    t.read();
    clock.stepWall(-H);
    t.read();
    t.read();
    clock.advance(10_000);
    t.read();
    expect(seen).toEqual([-H]);
    expect(t.report()).toEqual({
      steps: 1,
      lastStep: { at: 1_010_000 + STEP_THRESHOLD_MS - H - 10_000, byMs: -H, whileDown: false },
    });
    // Engine time went on by the monotonic clock only.
    expect(t.now()).toBe(1_010_000);
  });

  it('notices a step while nothing else reads the clocks (watch)', () => {
    const clock = new SimulatedClock(1_000_000);
    const t = new Timeline(clock);
    const stop = t.watch(5_000);
    clock.advance(4_000);
    clock.stepWall(2 * H);
    clock.advance(1_000);
    expect(t.report().steps).toBe(1);
    stop();
    expect(clock.pending()).toBe(0);
  });
});

describe('the engine under a stepping wall clock', () => {
  it('restarts when the cooldown ends on the monotonic clock; events and views carry wall time', async () => {
    const p = policy({
      failureThreshold: 1,
      cooldownSec: 20,
      backoff: { initialSec: 20, factor: 1, maxSec: 20 },
    });
    const r = await rig([{ name: 'api', unit: 'api.service', policy: p }]);
    await feed(r, 'api', [
      { type: 'exited', code: 1 },
      { type: 'exited', code: 1 },
    ]);
    const first = r.store.listEvents({ first: 50 }).events.find((e) => e.decision === 'restart')!;
    expect(r.engine.view('api')!.state.tag).toBe('cooldown');
    const untilBefore = r.engine.view('api')!.cooldown.until!;
    r.clock.stepWall(-H);
    // Shown in wall time: the end of the wait moved with the clock, the wait itself did not.
    expect(r.engine.view('api')!.cooldown.until).toBe(untilBefore - H);
    r.clock.advanceTo(untilBefore - H);
    await r.engine.idle();
    const restarts = r.store.listEvents({ first: 50 }).events.filter((e) => e.decision === 'restart');
    expect(restarts).toHaveLength(2);
    expect(restarts[1]!.at).toBe(first.at + 20_000 - H);
    expect(r.executor.calls).toHaveLength(2);
  });

  it('stores the state in wall time with a clock anchor', async () => {
    const r = await rig();
    r.clock.stepWall(2 * H);
    await feed(r, 'api', [{ type: 'hold', ttlSec: 600, actor: 'bob', reason: 'deploy' }]);
    const [saved] = r.store.loadServices();
    expect(saved!.state).toMatchObject({ tag: 'held', setAt: r.clock.now(), until: r.clock.now() + 600_000 });
    expect(saved).toMatchObject({
      updatedAt: r.clock.now(),
      monoAt: r.clock.monotonic(),
      monoOrigin: 'simulated',
    });
  });

  it('re-bases a stored state on start: exact within one boot, even when the wall clock stepped while down', async () => {
    const r = await rig();
    await feed(r, 'api', [{ type: 'hold', ttlSec: 600, actor: 'bob', reason: 'deploy' }]);
    const until = r.engine.view('api')!.hold!.until;
    const holdEnds = r.clock.monotonic() + 600_000;
    await r.engine.close();
    r.clock.advance(100_000);
    r.clock.stepWall(-5 * H);
    const r2 = await r.reopen();
    expect(r2.engine.view('api')!.hold!.until).toBe(until - 5 * H);
    expect(r2.logs.some((l) => String(l.msg).includes('while medic was down'))).toBe(true);
    r2.clock.advance(holdEnds - r2.clock.monotonic() - 1);
    await r2.engine.idle();
    expect(r2.engine.view('api')!.state.tag).toBe('held');
    r2.clock.advance(1);
    await r2.engine.idle();
    expect(r2.engine.view('api')!.state.tag).toBe('healthy');
  });

  it('after a reboot, counts the downtime no longer than the machine has been up: restarts stay counted', async () => {
    const p = policy({ maxRestarts: 2, windowSec: 3600 });
    const r = await rig([{ name: 'api', unit: 'api.service', policy: p }]);
    await feed(r, 'api', [...FAIL3]);
    expect(r.engine.view('api')!.churn.restartsInWindow).toBe(1);
    await r.engine.close();
    // Down for two hours by the wall clock, but up for only a minute: the restart (an hour-long
    // window) may be younger than the wall says (a forward step while down), so it still counts.
    r.clock.reboot({ downMs: 2 * H, monotonic: 60_000, origin: 'boot-2' });
    const r2 = await r.reopen();
    expect(r2.engine.view('api')!.churn.restartsInWindow).toBe(1);
  });
});
