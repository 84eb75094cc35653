import { describe, expect, it } from 'vitest';
import { type UpdateArgs, UpdateCoalescer } from '../../bot/slack/coalesce.js';

/** Virtual time: timers fire when `advance` passes them. */
function virtualTime() {
  let t = 0;
  const timers: { at: number; fire: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((fire) => timers.push({ at: t + ms, fire })),
    async advance(ms: number) {
      t += ms;
      for (const x of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(x), 1);
        x.fire();
      }
      await new Promise((r) => setImmediate(r));
    },
  };
}

const msg = (text: string): UpdateArgs => ({ channel: 'C1', ts: '1.1', text, blocks: [] });

describe('UpdateCoalescer', () => {
  it('sends the first change at once, then at most one per interval with the newest content', async () => {
    const time = virtualTime();
    const sent: [number, string][] = [];
    const c = new UpdateCoalescer(
      async (a) => void sent.push([time.now(), a.text]),
      10_000,
      time,
      () => {},
    );
    await c.update(msg('open 1'));
    for (let i = 2; i <= 9; i++) {
      await time.advance(1000);
      await c.update(msg(`open ${i}`));
    }
    expect(sent).toEqual([[0, 'open 1']]);
    await time.advance(2000); // t = 10 s: the newest pending content, once
    expect(sent).toEqual([
      [0, 'open 1'],
      [10_000, 'open 9'],
    ]);
    await c.update(msg('open 9')); // unchanged: no call
    await time.advance(20_000);
    expect(sent).toHaveLength(2);
  });

  it('flush() sends what is still waiting (shutdown drops no state change)', async () => {
    const time = virtualTime();
    const sent: string[] = [];
    const c = new UpdateCoalescer(
      async (a) => void sent.push(a.text),
      10_000,
      time,
      () => {},
    );
    await c.update(msg('a'));
    await c.update(msg('b'));
    expect(c.waiting).toBe(1);
    await c.flush();
    expect(sent).toEqual(['a', 'b']);
  });
});
