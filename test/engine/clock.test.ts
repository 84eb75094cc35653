import { describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock } from '../../src/clock/clock.js';

describe('SimulatedClock', () => {
  it('fires due timers in due order (ties in scheduling order), each at its own time', () => {
    const clock = new SimulatedClock(0);
    const fired: [string, number][] = [];
    const at = (name: string) => () => fired.push([name, clock.now()]);
    clock.setTimeout(at('c'), 300);
    clock.setTimeout(at('a'), 100);
    clock.setTimeout(at('b1'), 200);
    clock.setTimeout(at('b2'), 200);
    clock.setTimeout(at('late'), 1_000);
    clock.advance(500);
    expect(fired).toEqual([
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
      ['c', 300],
    ]);
    expect(clock.now()).toBe(500);
    expect(clock.pending()).toBe(1);
  });

  it('fires timers scheduled while advancing when they fall due in the same advance', () => {
    const clock = new SimulatedClock(0);
    const fired: number[] = [];
    const again = () => {
      fired.push(clock.now());
      if (fired.length < 5) clock.setTimeout(again, 100);
    };
    clock.setTimeout(again, 100);
    clock.advance(350);
    expect(fired).toEqual([100, 200, 300]);
    clock.advance(1_000);
    expect(fired).toEqual([100, 200, 300, 400, 500]);
  });

  it('never fires a cancelled timer and never moves backwards', () => {
    const clock = new SimulatedClock(1_000);
    let fired = false;
    clock
      .setTimeout(() => {
        fired = true;
      }, 10)
      .cancel();
    clock.advanceTo(500);
    expect(clock.now()).toBe(1_000);
    clock.advance(100);
    expect(fired).toBe(false);
  });
});

describe('systemClock', () => {
  it('fires a timer no earlier than its delay, and not after cancel', async () => {
    // Timers wait monotonic time: measured on it (the wall clock's ms boundaries differ from it).
    const start = systemClock.monotonic();
    const firedAt = await new Promise<number>((resolve) =>
      systemClock.setTimeout(() => resolve(systemClock.monotonic()), 30),
    );
    expect(firedAt - start).toBeGreaterThanOrEqual(30);
    let fired = false;
    systemClock.setTimeout(() => (fired = true), 5).cancel();
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(false);
  });
});
