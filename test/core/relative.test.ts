import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ago, relative } from '../../src/core/relative.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe('relative', () => {
  it('says seconds, minutes and hours the way operators read them', () => {
    expect(relative(at(12_000), NOW)).toBe('in 12s');
    expect(relative(at(-125_000), NOW)).toBe('2m 05s ago');
    expect(relative(at(3_780_000), NOW)).toBe('in 1h 03m');
    expect(relative(at(0), NOW)).toBe('in 0s');
  });

  it('is the same wording both ways, only the direction differs (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 * 86_400 }), (sec) => {
        const ahead = relative(at(sec * 1000), NOW);
        const behind = relative(at(-sec * 1000), NOW);
        expect(ahead).toBe(`in ${behind.replace(/ ago$/, '')}`);
      }),
    );
  });
});

describe('ago', () => {
  it('never says a past instant is "in 0s", even when another clock puts it slightly ahead', () => {
    expect(ago(at(0), NOW)).toBe('just now');
    expect(ago(at(400), NOW)).toBe('just now');
    expect(ago(at(-999), NOW)).toBe('just now');
    expect(ago(at(-12_000), NOW)).toBe('12s ago');
  });

  it('reads "ago" or "just now" for every instant up to a second ahead (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -7 * 86_400_000, max: 1000 }), (ms) => {
        expect(ago(at(ms), NOW)).toMatch(/^(just now|.+ ago)$/);
      }),
    );
  });
});
