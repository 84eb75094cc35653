import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Input } from '../../src/core/types.js';
import { compareService } from '../../src/rollout/compare.js';
import { recordedInputs } from '../../src/rollout/history.js';
import { replay } from '../../src/rollout/replay.js';
import { policyArb } from '../core/arbitraries.js';
import { crashLoop, decisionsOf, play, policy, rig, type Timed } from './helpers.js';

const op = { actor: 'alice', reason: 'test' };
/** Inputs a live service produces (ticks come from the engine's own timers). */
const inputArb: fc.Arbitrary<Input> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Input>({ type: 'probe_failed' }) },
  { weight: 4, arbitrary: fc.constant<Input>({ type: 'probe_ok' }) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 78).map((code): Input => ({ type: 'exited', code })) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'external_restart', count: 1 }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'hold', ttlSec: 120, ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'release', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'approve', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'force_restart', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'reset_circuit', ...op }) },
);
const timedArb: fc.Arbitrary<Timed> = fc.record({
  afterMs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 20_000 }),
    fc.integer({ min: 1, max: 900_000 }),
  ),
  input: inputArb,
});

describe('replay', () => {
  it('reproduces the decisions of a run of the real engine for the same policy (synthesized and recorded ticks)', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(timedArb, { minLength: 1, maxLength: 40 }), async (p, inputs) => {
        const r = await rig([{ name: 'api', unit: 'api.service', policy: p }]);
        await play(r, 'api', inputs);
        const original = decisionsOf(r, 'api');
        const recorded = original.map((e) => ({ at: e.at, input: e.input! }));
        const expected = original.map((e) => [e.at, e.input!.type, e.decision]);
        for (const ticks of ['synthesize', 'recorded'] as const) {
          const { steps } = replay(recorded, p, { ticks });
          expect(steps.map((s) => [s.at, s.input.type, s.decision])).toEqual(expected);
        }
        // The same policy as candidate: nothing diverges.
        const same = compareService('api', recorded, p, p);
        expect(same.divergingSteps).toBe(0);
        expect(same.restartsAdded + same.restartsAvoided + same.circuitsAdded + same.circuitsAvoided).toBe(0);
      }),
      {
        numRuns: 40,
        examples: [
          // seed 1908264494: a passing probe (written) between two refused failures of one open
          // circuit; the second refusal was counted but not written, so replay did not know the
          // service was failing again when the circuit went half-open (no probe restart).
          [
            {
              failureThreshold: 1,
              startupGraceSec: 1,
              cooldownSec: 1,
              maxRestarts: 1,
              windowSec: 2,
              backoff: { initialSec: 1, factor: 1, maxSec: 1 },
              stableSec: 1,
              circuit: { openSec: 1, maxOpenSec: 1, hardStop: false },
              mode: 'enforce',
              jitter: 0,
            },
            [
              { afterMs: 0, input: { type: 'probe_failed' } },
              { afterMs: 1000, input: { type: 'probe_failed' } },
              { afterMs: 0, input: { type: 'probe_ok' } },
              { afterMs: 1, input: { type: 'probe_failed' } },
              { afterMs: 999, input: { type: 'hold', ttlSec: 120, ...op } },
            ],
          ],
        ],
      },
    );
  });

  it('reads the recorded inputs back from the audit log per service, in commit order', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: policy() },
      { name: 'db', unit: 'db.service', policy: policy() },
    ]);
    await play(r, 'api', crashLoop(3, 60_000));
    await play(r, 'db', [{ afterMs: 1000, input: { type: 'probe_failed' } }]);
    const byService = recordedInputs(r.store, { since: 0, until: r.clock.now() });
    expect(byService.get('api')?.map((x) => x.input.type)).toEqual(
      decisionsOf(r, 'api').map((e) => e.input!.type),
    );
    expect(byService.get('db')).toEqual([
      { at: expect.any(Number), service: 'db', input: { type: 'probe_failed' } },
    ]);
    // A period that ends before the first input holds nothing.
    expect(recordedInputs(r.store, { since: 0, until: 0 }).size).toBe(0);
  });

  it('a stricter candidate avoids restarts and opens the circuit earlier; a looser one adds restarts and never opens it', async () => {
    // at most 3 restarts in 10 minutes, 60 s apart; no hard stop, so crashes while open are refused
    const active = policy({ circuit: { hardStop: false } });
    const r = await rig([{ name: 'api', unit: 'api.service', policy: active }]);
    // Crashes every 2 minutes for an hour.
    await play(r, 'api', crashLoop(30, 120_000));
    const inputs = decisionsOf(r, 'api').map((e) => ({ at: e.at, input: e.input! }));
    const activeRestarts = decisionsOf(r, 'api').filter((e) => e.decision === 'restart').length;

    const stricter = policy({ maxRestarts: 1, windowSec: 3600 });
    const s = compareService('api', inputs, active, stricter);
    expect(s.active.autoRestarts).toBe(activeRestarts);
    expect(s.candidate.restarts).toBeLessThan(s.active.restarts);
    expect(s.restartsAvoided).toBeGreaterThan(0);
    expect(s.candidate.circuitsOpened).toBeGreaterThan(0);
    // The first crash restarts under both; the second one is where they part.
    const crashes = inputs.filter((x) => x.input.type === 'exited');
    expect(s.firstDivergence?.at).toBe(crashes[1].at);
    expect(s.firstDivergence?.active.decisions).toEqual(['restart']);
    expect(s.firstDivergence?.candidate.decisions).toEqual(['circuit_opened']);

    const looser = policy({
      maxRestarts: 10,
      windowSec: 900,
      cooldownSec: 10,
      backoff: { initialSec: 10, maxSec: 30 },
    });
    const l = compareService('api', inputs, active, looser);
    expect(l.active.circuitsOpened).toBeGreaterThan(0);
    expect(l.candidate.circuitsOpened).toBe(0);
    expect(l.circuitsAvoided).toBeGreaterThan(0);
    expect(l.candidate.restarts).toBeGreaterThan(l.active.restarts);
    expect(l.restartsAdded).toBeGreaterThan(0);
    // Open-circuit skips under the active policy are blocked attempts the looser one does not have.
    expect(l.active.blockedByReason.skip_circuit_open ?? 0).toBeGreaterThan(0);
    expect(l.candidate.blockedByReason.skip_circuit_open ?? 0).toBe(0);
  });
});
