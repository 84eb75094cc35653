import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { isHeartbeat } from '../../src/core/observe.js';
import { initialState, settle } from '../../src/core/state.js';
import type { ServiceState } from '../../src/core/types.js';
import { drive, policyArb, stepsArb } from './arbitraries.js';

describe('heartbeats (passing probes of a steadily healthy service)', () => {
  it('decide() answers a heartbeat with noop and leaves the settled state unchanged', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          if (!isHeartbeat(r.before, { type: 'probe_ok' })) continue;
          const d = decide(r.before, { type: 'probe_ok' }, r.at, policy);
          expect(d.decision).toBe('noop');
          expect(d.effects).toEqual([]);
          expect(d.next).toEqual(settle(r.before, r.at, policy));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('dropping every heartbeat changes no other decision and no final state', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const records = drive(policy, steps);
        let s: ServiceState = initialState();
        let last = 0;
        for (const r of records) {
          last = r.at;
          if (isHeartbeat(s, r.input)) continue;
          const d = decide(s, r.input, r.at, policy);
          expect(d.decision).toBe(r.decision.decision);
          expect(d.effects).toEqual(r.decision.effects);
          s = d.next;
        }
        const full = records.at(-1)?.decision.next;
        if (full) expect(settle(s, last, policy)).toEqual(settle(full, last, policy));
      }),
      { numRuns: 500 },
    );
  });

  it('is false for a failing probe, a recovering service and any other state', () => {
    const healthy: ServiceState = { ...initialState(), healthySince: 1 };
    expect(isHeartbeat(healthy, { type: 'probe_ok' })).toBe(true);
    expect(isHeartbeat(healthy, { type: 'probe_failed' })).toBe(false);
    expect(isHeartbeat({ ...healthy, failures: 1 }, { type: 'probe_ok' })).toBe(false);
    expect(isHeartbeat({ ...healthy, healthySince: null }, { type: 'probe_ok' })).toBe(false);
    expect(
      isHeartbeat({ ...healthy, tag: 'cooldown', until: 5, cause: 'cooldown' } as ServiceState, {
        type: 'probe_ok',
      }),
    ).toBe(false);
  });
});
