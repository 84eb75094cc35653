/**
 * The hub's deadline for a lease request (src/hub/budget-expiry.ts), pure: the margin kept back
 * is a tenth of the agent's wait and at most ANSWER_MARGIN_MS; the queue loses exactly the
 * requests past their deadline, the rest keep their order; the header takes whole ms in range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LEASE_WAIT_MS } from '../../src/fleet/budget-protocol.js';
import {
  ANSWER_MARGIN_MS,
  leaseDeadline,
  parseWaitHeader,
  takeExpired,
} from '../../src/hub/budget-expiry.js';

describe("a lease request's deadline at the hub", () => {
  it('keeps back a tenth of the wait, at most ANSWER_MARGIN_MS, never more than the wait', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: MAX_LEASE_WAIT_MS }),
        (at, wait) => {
          const d = leaseDeadline(at, wait);
          expect(d).toBeLessThanOrEqual(at + wait);
          expect(d).toBeGreaterThanOrEqual(at + wait - ANSWER_MARGIN_MS);
          expect(d).toBeGreaterThanOrEqual(at + (wait * 9) / 10);
        },
      ),
    );
  });

  it('takes exactly the requests past their deadline out of the queue; the rest keep their order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined })),
        fc.integer({ min: 0, max: 100 }),
        (deadlines, now) => {
          const queue = deadlines.map((deadline, i) => (deadline === undefined ? { i } : { i, deadline }));
          const before = [...queue];
          const expired = takeExpired(queue, now);
          const late = (p: { deadline?: number }) => p.deadline !== undefined && p.deadline < now;
          expect(expired).toEqual(before.filter(late));
          expect(queue).toEqual(before.filter((p) => !late(p)));
        },
      ),
    );
  });

  it('reads the header: absent is an older agent, whole ms up to the maximum, anything else malformed', () => {
    expect(parseWaitHeader(undefined)).toBeUndefined();
    expect(parseWaitHeader('3000')).toBe(3000);
    expect(parseWaitHeader(' 0 ')).toBe(0);
    expect(parseWaitHeader(String(MAX_LEASE_WAIT_MS))).toBe(MAX_LEASE_WAIT_MS);
    for (const bad of ['', 'x', '-1', '1.5', '1e3', String(MAX_LEASE_WAIT_MS + 1), '9999999999'])
      expect(parseWaitHeader(bad), bad).toBeNull();
    expect(parseWaitHeader(['1', '2'])).toBeNull();
  });
});
