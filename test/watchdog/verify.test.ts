/**
 * The signal verification (src/watchdog/verify.ts) against a scripted systemd: what it calls a
 * missed signal, what it leaves alone, and that it applies what it found.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UnitStatus } from '../../src/watchdog/unit-status.js';
import { missedChange, SignalVerifier, type VerifySource } from '../../src/watchdog/verify.js';

const running: UnitStatus = {
  loadState: 'loaded',
  activeState: 'active',
  subState: 'running',
  result: 'success',
  execMainCode: 0,
  execMainStatus: 0,
  execMainStartUs: 1,
  execMainExitMono: 0,
  execMainExitUs: 0,
  nRestarts: 0,
  invocationId: 'a',
  restart: 'no',
};
const crashed: UnitStatus = {
  ...running,
  activeState: 'failed',
  subState: 'failed',
  result: 'exit-code',
  execMainCode: 1,
  execMainStatus: 3,
  execMainExitMono: 50,
};
/** Crashed and restarted by systemd itself: running again, but NRestarts and the exit moved. */
const restartedBySystemd: UnitStatus = { ...running, nRestarts: 1, execMainExitMono: 50, invocationId: 'b' };
/** Garbage-collected by systemd after a clean stop and loaded again: counters reset, no invocation. */
const reloaded: UnitStatus = { ...running, activeState: 'inactive', subState: 'dead', invocationId: '' };

/** A fake systemd (`actual`) and medic's belief; `signalDuringGrace` delivers a signal while waiting. */
function harness(units: string[], actual: Map<string, UnitStatus>, belief: Map<string, UnitStatus>) {
  const applied: [string, UnitStatus][] = [];
  let onSleep: () => void = () => {};
  const src: VerifySource = {
    states: async (us) =>
      new Map(us.filter((u) => actual.has(u)).map((u) => [u, { ...actual.get(u)! }] as const)),
    read: async (u) => actual.get(u),
    believed: (u) => belief.get(u),
    apply: (u, s) => {
      applied.push([u, s]);
      belief.set(u, s);
    },
  };
  const verifier = new SignalVerifier(src, units, {
    graceMs: 1000,
    sliceSize: 2,
    sleep: async () => onSleep(),
  });
  return { verifier, applied, duringGrace: (fn: () => void) => (onSleep = fn) };
}

describe('the signal verification', () => {
  it('reports a crash no signal announced, once, and applies the state systemd has', async () => {
    const actual = new Map([['a.service', crashed]]);
    const belief = new Map([['a.service', running]]);
    const h = harness(['a.service'], actual, belief);
    const missed = await h.verifier.round();
    expect(missed).toEqual([{ unit: 'a.service', believed: running, actual: crashed }]);
    expect(h.applied).toEqual([['a.service', crashed]]);
    expect(await h.verifier.round()).toEqual([]);
  });

  it('is not fooled by a signal still on its way: one arriving within the grace period is no miss', async () => {
    const actual = new Map([['a.service', crashed]]);
    const belief = new Map([['a.service', running]]);
    const h = harness(['a.service'], actual, belief);
    h.duringGrace(() => belief.set('a.service', { ...crashed }));
    expect(await h.verifier.round()).toEqual([]);
    expect(h.applied).toEqual([]);
  });

  it('finds a restart systemd did by itself (same state, new exit) in the rotating full reads', async () => {
    const units = ['a.service', 'b.service', 'c.service'];
    const actual = new Map(units.map((u) => [u, running]));
    actual.set('c.service', restartedBySystemd);
    const belief = new Map(units.map((u) => [u, running]));
    const h = harness(units, actual, belief);
    // Slice of 2: a and b first, c in the next round.
    expect(await h.verifier.round()).toEqual([]);
    expect((await h.verifier.round()).map((m) => m.unit)).toEqual(['c.service']);
  });

  it('reads only the run identity of slice units, and in full only the ones that look changed', async () => {
    const units = ['a.service', 'b.service', 'c.service'];
    const actual = new Map(units.map((u) => [u, running]));
    actual.set('b.service', restartedBySystemd);
    const belief = new Map(units.map((u) => [u, running]));
    const fullReads: string[] = [];
    const identityReads: string[] = [];
    const src: VerifySource = {
      states: async (us) => new Map(us.map((u) => [u, { ...actual.get(u)! }] as const)),
      read: async (u) => {
        fullReads.push(u);
        return actual.get(u);
      },
      identity: async (u) => {
        identityReads.push(u);
        const { invocationId, nRestarts, execMainExitMono } = actual.get(u)!;
        return { invocationId, nRestarts, execMainExitMono };
      },
      believed: (u) => belief.get(u),
      apply: (u, s) => belief.set(u, s),
    };
    const verifier = new SignalVerifier(src, units, { sliceSize: 3, sleep: async () => {} });
    const missed = await verifier.round();
    expect(missed).toEqual([{ unit: 'b.service', believed: running, actual: restartedBySystemd }]);
    expect(identityReads).toEqual(units);
    // The confirming read after the grace period, for the suspect only.
    expect(fullReads).toEqual(['b.service']);
  });

  it('falls back to a full read for a unit without a run identity (not a service)', async () => {
    const actual = new Map([['a.socket', restartedBySystemd]]);
    const belief = new Map([['a.socket', running]]);
    const fullReads: string[] = [];
    const src: VerifySource = {
      states: async (us) => new Map(us.map((u) => [u, { ...actual.get(u)! }] as const)),
      read: async (u) => {
        fullReads.push(u);
        return actual.get(u);
      },
      identity: async () => undefined,
      believed: (u) => belief.get(u),
      apply: (u, s) => belief.set(u, s),
    };
    const verifier = new SignalVerifier(src, ['a.socket'], { sliceSize: 1, sleep: async () => {} });
    expect((await verifier.round()).map((m) => m.unit)).toEqual(['a.socket']);
    expect(fullReads).toEqual(['a.socket', 'a.socket']);
  });

  it('does not count a garbage-collected unit loaded again as a change', () => {
    expect(missedChange({ ...running, activeState: 'inactive', subState: 'dead' }, reloaded)).toBe(false);
  });

  it('property: it reports exactly the units whose state differs and that no signal updated', async () => {
    const unitArb = fc.record({
      changed: fc.boolean(),
      signalled: fc.boolean(),
      kind: fc.constantFrom(crashed, restartedBySystemd),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(unitArb, { minLength: 1, maxLength: 6 }), async (spec) => {
        const units = spec.map((_, i) => `u${i}.service`);
        const actual = new Map(units.map((u, i) => [u, spec[i]!.changed ? spec[i]!.kind : running]));
        const belief = new Map(units.map((u) => [u, running]));
        const src: VerifySource = {
          states: async (us) => new Map(us.map((u) => [u, actual.get(u)!] as const)),
          read: async (u) => actual.get(u),
          believed: (u) => belief.get(u),
          apply: (u, s) => belief.set(u, s),
        };
        const verifier = new SignalVerifier(src, units, {
          sliceSize: units.length,
          sleep: async () => {
            spec.forEach((s, i) => {
              if (s.changed && s.signalled) belief.set(units[i]!, { ...actual.get(units[i]!)! });
            });
          },
        });
        const missed = (await verifier.round()).map((m) => m.unit).sort();
        const expected = units.filter((_, i) => spec[i]!.changed && !spec[i]!.signalled).sort();
        expect(missed).toEqual(expected);
        // Afterwards medic believes what systemd says, for every unit.
        for (const u of units) expect(missedChange(belief.get(u)!, actual.get(u)!)).toBe(false);
      }),
    );
  });
});
