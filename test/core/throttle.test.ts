import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RefusalThrottle } from '../../src/core/throttle.js';

describe('RefusalThrottle', () => {
  it('writes at most one record per caller and operation per period, and the counts add up', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.constantFrom('a', 'b'),
            what: fc.constantFrom('x', 'y'),
            gapMs: fc.integer({ min: 0, max: 90_000 }),
          }),
          { maxLength: 300 },
        ),
        (steps) => {
          const t = new RefusalThrottle();
          let now = 0;
          const lastWrite = new Map<string, number>();
          const written = new Map<string, number>();
          const refused = new Map<string, number>();
          for (const s of steps) {
            now += s.gapMs;
            const key = `${s.who}/${s.what}`;
            refused.set(key, (refused.get(key) ?? 0) + 1);
            const v = t.refuse(s.who, s.what, now);
            if (!v.write) continue;
            const prev = lastWrite.get(key);
            if (prev !== undefined) expect(now - prev).toBeGreaterThanOrEqual(60_000);
            lastWrite.set(key, now);
            written.set(key, (written.get(key) ?? 0) + v.count);
          }
          // Written counts never exceed the refusals; what is missing waits for the next record.
          for (const [key, n] of written) expect(n).toBeLessThanOrEqual(refused.get(key)!);
          for (const key of refused.keys()) expect(written.has(key)).toBe(true);
        },
      ),
    );
  });

  it('blocks a caller past the threshold for blockMs, and only that caller', () => {
    const t = new RefusalThrottle({ maxPerWindow: 3, windowMs: 10_000, blockMs: 5_000 });
    for (let i = 0; i < 3; i++) t.refuse('a', 'x', i);
    expect(t.retryAfterSec('a', 3)).toBe(0);
    t.refuse('a', 'x', 4);
    expect(t.retryAfterSec('a', 4)).toBe(5);
    expect(t.retryAfterSec('b', 4)).toBe(0);
    expect(t.retryAfterSec('a', 5_004)).toBe(0);
  });

  it('keeps its memory flat under a flood of distinct callers', () => {
    const t = new RefusalThrottle({ maxKeys: 100 });
    for (let i = 0; i < 100_000; i++) t.refuse(`10.0.${i >> 8}.${i & 255}`, 'signature_mismatch', i);
    expect(t.size).toBeLessThanOrEqual(200);
  });
});
