/**
 * fast-check arbitraries and a tiny driver for the decision core: random valid policies,
 * random input sequences on a clock that only moves forward, and `drive()` which runs them.
 */
import fc from 'fast-check';
import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { minSpanForCircuitSec, type Policy, type PolicyInput, parsePolicy } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import type { Decision, Input, ServiceState } from '../../src/core/types.js';

export const T0 = Date.UTC(2026, 0, 1);

/** Raw policy fields, small enough that random sequences reach every state. */
export const rawPolicyArb: fc.Arbitrary<PolicyInput> = fc
  .record({
    failureThreshold: fc.integer({ min: 1, max: 4 }),
    startupGraceSec: fc.integer({ min: 1, max: 60 }),
    cooldownSec: fc.integer({ min: 1, max: 60 }),
    maxRestarts: fc.integer({ min: 1, max: 5 }),
    windowSec: fc.integer({ min: 1, max: 1200 }),
    initialSec: fc.integer({ min: 1, max: 60 }),
    factor: fc.constantFrom(1, 1.5, 2, 3),
    maxExtra: fc.integer({ min: 0, max: 240 }),
    stableSec: fc.integer({ min: 1, max: 600 }),
    openSec: fc.integer({ min: 1, max: 600 }),
    openExtra: fc.integer({ min: 0, max: 3000 }),
    hardStop: fc.boolean(),
  })
  .map((r) => ({
    failureThreshold: r.failureThreshold,
    startupGraceSec: r.startupGraceSec,
    cooldownSec: r.cooldownSec,
    maxRestarts: r.maxRestarts,
    windowSec: r.windowSec,
    backoff: { initialSec: r.initialSec, factor: r.factor, maxSec: r.initialSec + r.maxExtra },
    stableSec: r.stableSec,
    circuit: { openSec: r.openSec, maxOpenSec: r.openSec + r.openExtra, hardStop: r.hardStop },
  }));

/** A VALID policy: windowSec is placed just above what maxRestarts + 1 restarts need. */
export const policyArb: fc.Arbitrary<Policy> = fc
  .tuple(rawPolicyArb, fc.integer({ min: 1, max: 600 }))
  .map(([raw, slack]) => {
    const probe = parsePolicy({ ...raw, windowSec: 1e9 });
    if (!probe.ok) throw new Error(`generator bug: ${JSON.stringify(probe.problems)}`);
    const parsed = parsePolicy({ ...raw, windowSec: minSpanForCircuitSec(probe.value) + slack });
    if (!parsed.ok) throw new Error(`generator bug: ${JSON.stringify(parsed.problems)}`);
    return parsed.value;
  });

const op = { actor: fc.constantFrom('alice', 'bob'), reason: fc.constantFrom('deploy', 'investigating') };

export const inputArb: fc.Arbitrary<Input> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Input>({ type: 'probe_failed' }) },
  { weight: 3, arbitrary: fc.constant<Input>({ type: 'probe_ok' }) },
  { weight: 6, arbitrary: fc.constant<Input>({ type: 'tick' }) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 78, 137).map((code): Input => ({ type: 'exited', code })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((count): Input => ({ type: 'external_restart', count })),
  },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'restart_succeeded' }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'restart_failed' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ ...op, ttlSec: fc.integer({ min: 1, max: 900 }) })
      .map((o): Input => ({ type: 'hold', ...o })),
  },
  { weight: 1, arbitrary: fc.record(op).map((o): Input => ({ type: 'release', ...o })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ ...op, onlyIfActor: fc.constantFrom('alice', 'alertmanager') })
      .map((o): Input => ({ type: 'release', ...o })),
  },
  { weight: 1, arbitrary: fc.record(op).map((o): Input => ({ type: 'restart_requested', ...o })) },
  { weight: 2, arbitrary: fc.record(op).map((o): Input => ({ type: 'approve', ...o })) },
  { weight: 1, arbitrary: fc.record(op).map((o): Input => ({ type: 'force_restart', ...o })) },
  { weight: 1, arbitrary: fc.record(op).map((o): Input => ({ type: 'reset_circuit', ...o })) },
);

/**
 * One step: an input after `advanceMs`, or (`wake`) a tick exactly at nextWakeAt(state) —
 * so sequences hit every deadline, not only random instants.
 */
export type Step =
  | { kind: 'input'; advanceMs: number; input: Input }
  | { kind: 'wake' }
  /** `input` just before, at or just after the next deadline: where off-by-one bugs live. */
  | { kind: 'near'; offsetMs: number; input: Input };

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('input' as const),
      advanceMs: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 900_000 }),
      ),
      input: inputArb,
    }),
  },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'wake' }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('near' as const),
      offsetMs: fc.constantFrom(-1, 0, 1),
      input: inputArb,
    }),
  },
);

export const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 200, size: 'max' });

export interface Record {
  at: number;
  input: Input;
  before: ServiceState;
  decision: Decision;
}

/** Runs the steps from `state` at `start`; time never goes backwards. */
export function drive(
  policy: Policy,
  steps: Step[],
  state: ServiceState = initialState(),
  start = T0,
): Record[] {
  const out: Record[] = [];
  let now = start;
  let s = state;
  for (const step of steps) {
    let input: Input;
    if (step.kind === 'wake' || step.kind === 'near') {
      const wake = nextWakeAt(s, policy);
      if (wake === null) continue;
      now = Math.max(now, wake + (step.kind === 'near' ? step.offsetMs : 0));
      input = step.kind === 'near' ? step.input : { type: 'tick' };
    } else {
      now += step.advanceMs;
      input = step.input;
    }
    const decision = decide(s, input, now, policy);
    out.push({ at: now, input, before: s, decision });
    s = decision.next;
  }
  return out;
}

/** Every restart as [time, initiator], including systemd's own (external_restart count). */
export function restartsOf(records: Record[]): Array<{ at: number; initiator: string; probe: boolean }> {
  const out: Array<{ at: number; initiator: string; probe: boolean }> = [];
  for (const r of records) {
    for (const e of r.decision.effects) {
      if (e.type === 'restart') out.push({ at: r.at, initiator: e.initiator, probe: e.probe });
    }
    if (r.input.type === 'external_restart') {
      for (let i = 0; i < r.input.count; i++) out.push({ at: r.at, initiator: 'external', probe: false });
    }
  }
  return out;
}
