import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, stateVerdict, translate, type UnitStatus } from '../../src/watchdog/unit-status.js';

const base: UnitStatus = {
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

const statusArb: fc.Arbitrary<UnitStatus> = fc.record({
  loadState: fc.constant('loaded'),
  activeState: fc.constantFrom('active', 'failed', 'inactive', 'activating', 'deactivating'),
  subState: fc.constantFrom('running', 'failed', 'dead', 'auto-restart', 'stop-sigterm'),
  result: fc.constantFrom('success', 'exit-code', 'signal', 'timeout'),
  execMainCode: fc.constantFrom(0, 1, 2, 3),
  execMainStatus: fc.integer({ min: 0, max: 255 }),
  execMainStartUs: fc.nat(),
  execMainExitMono: fc.integer({ min: 0, max: 6 }),
  execMainExitUs: fc.nat(),
  nRestarts: fc.integer({ min: 0, max: 20 }),
  invocationId: fc.constantFrom('a', 'b'),
  restart: fc.constantFrom('no', 'on-failure', 'always'),
});

/** Runs a sequence through translate the way UnitTracker does (final re-check included). */
function run(seq: UnitStatus[]) {
  let prev: UnitStatus | undefined;
  let reported = 0;
  const out = [];
  for (const s of seq) {
    const base = prev && s.nRestarts < prev.nRestarts ? { ...prev, nRestarts: s.nRestarts } : prev;
    let r = translate(base, s, reported);
    out.push(...r.observations);
    reported = r.reportedExit;
    if (r.pending) {
      r = translate(s, s, reported, true);
      out.push(...r.observations);
      reported = r.reportedExit;
    }
    prev = s;
  }
  return out;
}

describe('translate: unit status changes → inputs', () => {
  it('reports a crash of a Restart=no unit as exited with its code', () => {
    const crashed = {
      ...base,
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      execMainCode: 1,
      execMainStatus: 3,
      execMainExitMono: 5,
    };
    expect(translate(base, crashed, 0).observations.map((o) => o.input)).toEqual([
      { type: 'exited', code: 3 },
    ]);
  });

  it('maps a death by signal to 128 + signal', () => {
    expect(exitCodeOf({ execMainCode: 2, execMainStatus: 9 })).toBe(137);
  });

  it('ignores a stop medic or an operator asked for (SIGTERM with Result=success)', () => {
    const stopped = {
      ...base,
      activeState: 'inactive',
      subState: 'dead',
      execMainCode: 2,
      execMainStatus: 15,
      execMainExitMono: 5,
    };
    expect(translate(base, stopped, 0).observations).toEqual([]);
  });

  it('waits for systemd to say whether a Restart= unit restarts, and still reports exit 78', () => {
    const failed = {
      ...base,
      restart: 'on-failure',
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      execMainCode: 1,
      execMainStatus: 78,
      execMainExitMono: 5,
    };
    const first = translate(base, failed, 0);
    expect(first).toMatchObject({ observations: [], pending: true });
    const auto = { ...failed, activeState: 'activating', subState: 'auto-restart' };
    expect(translate(failed, auto, first.reportedExit).observations.map((o) => o.input)).toEqual([
      { type: 'exited', code: 78 },
    ]);
  });

  it('reports nothing for the first snapshot (old exits are never replayed)', () => {
    fc.assert(
      fc.property(statusArb, (s) => {
        expect(translate(undefined, s, 0).observations).toEqual([]);
      }),
    );
  });

  it('reports each exit at most once, whatever the order of snapshots', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 30 }), (seq) => {
        const exits = run(seq).filter((o) => o.input.type === 'exited').length;
        const distinct = new Set(seq.map((s) => s.execMainExitMono).filter((m) => m !== 0)).size;
        // A value can recur non-adjacently (A, B, A): count changes instead of distinct values.
        let changes = 0;
        for (let i = 1; i < seq.length; i++)
          if (seq[i]!.execMainExitMono !== seq[i - 1]!.execMainExitMono) changes++;
        expect(exits).toBeLessThanOrEqual(Math.max(distinct, changes));
      }),
      { numRuns: 2000 },
    );
  });

  it("counts every increase of NRestarts as systemd's own restarts, exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), (steps) => {
        const seq = [base];
        for (const d of steps) seq.push({ ...base, nRestarts: seq[seq.length - 1]!.nRestarts + d });
        const n = seq[seq.length - 1]!.nRestarts;
        const counted = run(seq).reduce(
          (t, o) => t + (o.input.type === 'external_restart' ? o.input.count : 0),
          0,
        );
        expect(counted).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('judges unit state for services without health: active ok, failed failed, else no verdict', () => {
    expect(stateVerdict(base)).toBe('ok');
    expect(stateVerdict({ ...base, activeState: 'failed' })).toBe('failed');
    expect(stateVerdict({ ...base, activeState: 'inactive' })).toBeNull();
    expect(stateVerdict(undefined)).toBeNull();
  });
});
