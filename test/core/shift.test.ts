/**
 * shiftState is what lets the engine run decide() on a monotonic timeline and store or show
 * the state in wall time (issue 21). decide() must not care which clock it is given: shifting
 * the state and `now` by the same amount shifts every later decision and changes nothing else.
 * A time field that shiftState forgot (e.g. one added to a state later) breaks these properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shiftState } from '../../src/core/shift.js';
import { drive, policyArb, stepsArb } from './arbitraries.js';

const deltaArb = fc.oneof(fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }), fc.constantFrom(-1, 1));

/** Every number in a JSON value, with its path. */
function leaves(v: unknown, path = '$', out: [string, number][] = []): [string, number][] {
  if (typeof v === 'number') out.push([path, v]);
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) leaves(x, `${path}[${i}]`, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, `${path}.${k}`, out);
  return out;
}

/** Times in the arbitraries are epoch ms around 2026 (> 1e12); durations and counters are far smaller. */
const isTime = (n: number) => n > 1e12;

describe('shiftState', () => {
  it('commutes with decide(): from a shifted state at a shifted time, every later decision is shifted', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, stepsArb, deltaArb, (policy, before, after, d) => {
        const last = drive(policy, before).at(-1);
        if (!last) return;
        const plain = drive(policy, after, last.decision.next, last.at);
        const shifted = drive(policy, after, shiftState(last.decision.next, d), last.at + d);
        expect(shifted.map((r) => r.at - d)).toEqual(plain.map((r) => r.at));
        expect(shifted.map((r) => r.decision)).toEqual(
          plain.map((r) => ({ ...r.decision, next: shiftState(r.decision.next, d) })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('moves every time in every state by d and nothing else; d then −d is the identity; 0 changes nothing', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, deltaArb, (policy, steps, d) => {
        for (const r of drive(policy, steps)) {
          const s = r.decision.next;
          const moved = leaves(shiftState(s, d));
          const orig = leaves(s);
          expect(moved.map(([p]) => p)).toEqual(orig.map(([p]) => p));
          moved.forEach(([p, v], i) => {
            const o = orig[i]![1];
            if (v !== (isTime(o) ? o + d : o)) throw new Error(`${p}: ${o} became ${v} (d = ${d})`);
          });
          expect(shiftState(shiftState(s, d), -d)).toEqual(s);
          expect(shiftState(s, 0)).toBe(s);
        }
      }),
      { numRuns: 100 },
    );
  });
});
