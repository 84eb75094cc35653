/**
 * Promises 1 and 2 hold while the wall clock steps (issue 21): the engine with a store and a
 * SimulatedClock whose wall time steps by up to ±24 h at random moments, between random
 * inputs, timers firing on the monotonic clock, and — in the second property — restarts of
 * medic with time passing (and the wall clock stepping, and the machine rebooting) while it
 * is down.
 *
 * Every check is made on the TRUE time of the test (monotonic time, continued across reboots by
 * the real length of the downtime), never on the wall clock the engine is told.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import type { AuditEvent } from '../../src/core/audit.js';
import type { Policy } from '../../src/core/policy.js';
import type { Input } from '../../src/core/types.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { policyArb } from '../core/arbitraries.js';
import { tempDir } from '../store/helpers.js';
import { RecordingExecutor } from './helpers.js';

const DAY = 24 * 3600_000;
const op = { actor: 'alice', reason: 'test' };

const inputArb: fc.Arbitrary<Input> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Input>({ type: 'probe_failed' }) },
  { weight: 2, arbitrary: fc.constant<Input>({ type: 'probe_ok' }) },
  { weight: 4, arbitrary: fc.constantFrom(1, 78, 137).map((code): Input => ({ type: 'exited', code })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 2 }).map((count): Input => ({ type: 'external_restart', count })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 900 }).map((ttlSec): Input => ({ type: 'hold', ttlSec, ...op })),
  },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'release', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'approve', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'force_restart', ...op }) },
  { weight: 1, arbitrary: fc.constant<Input>({ type: 'reset_circuit', ...op }) },
);

/** A wall-clock step of up to ±24 h, often a round hour, sometimes just above the threshold. */
const stepMsArb = fc.oneof(
  fc.integer({ min: -DAY, max: DAY }),
  fc.constantFrom(-3600_000, 3600_000, -DAY, DAY, -4_000, 4_000),
);

type Step =
  | { kind: 'input'; advanceMs: number; input: Input }
  | { kind: 'step'; ms: number }
  /** medic stops; `downMs` pass (the wall clock also steps by `stepMs`); optionally a reboot. */
  | { kind: 'restart'; downMs: number; stepMs: number; reboot: boolean; uptimeMs: number };

const advanceArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5_000 }),
  fc.integer({ min: 1, max: 900_000 }),
);

const runningStepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('input' as const), advanceMs: advanceArb, input: inputArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('step' as const), ms: stepMsArb }) },
);

const restartArb: fc.Arbitrary<Step> = fc
  .record({
    kind: fc.constant('restart' as const),
    downMs: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3 * 3600_000 })),
    stepMs: fc.oneof(fc.constant(0), stepMsArb),
    reboot: fc.boolean(),
    uptimeFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ uptimeFraction, ...r }) => ({ ...r, uptimeMs: Math.floor(r.downMs * uptimeFraction) }));

/** One run of medic (or several, with restarts) and what happened, on the true timeline. */
interface Trace {
  restarts: { at: number; initiator: string }[];
  events: { at: number; event: AuditEvent }[];
  /** Problems found while running (bounded waits, timers armed). */
  problems: string[];
}

/** The longest a single wait may be, by what imposes it. */
function bounds(policy: Policy) {
  const delay = Math.max(policy.cooldownSec, policy.backoff.maxSec) * 1000;
  return {
    cooldown: delay,
    hold: 900_000,
    circuit: Math.max(policy.circuit.maxOpenSec * 1000, policy.windowSec * 1000, delay),
  };
}

async function run(policy: Policy, steps: Step[], persist: boolean): Promise<Trace> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1), { monotonic: 50_000, origin: 'boot-1' });
  /** True time = monotonic + shift (the shift grows by the downtime at each reboot). */
  let shift = 0;
  const trueNow = () => clock.monotonic() + shift;
  const path = persist ? `${tempDir()}/medic.db` : ':memory:';
  const services = [{ name: 'api', unit: 'api.service', policy }];
  const logger = createLogger('silent');
  const trace: Trace = { restarts: [], events: [], problems: [] };
  const executor = new RecordingExecutor();
  executor.during = (_svc, effect) => {
    if (effect.type === 'restart') trace.restarts.push({ at: trueNow(), initiator: effect.initiator });
  };
  let store: Store = openStore(path);
  let engine: Engine = await createEngine({ store, services, executor, clock, logger });
  let unsubscribe = engine.subscribe((event) => trace.events.push({ at: trueNow(), event }));
  const max = bounds(policy);

  /** Advances time, one timer at a time, letting the engine decide what each timer brings. */
  const advance = async (ms: number) => {
    let left = ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const due = clock.nextDueIn();
      if (due === null || due > left) break;
      clock.advance(due);
      left -= due;
      await engine.idle();
    }
    clock.advance(left);
    await engine.idle();
  };

  /** Every wait the engine shows is bounded by the policy, and a timer is armed to end it. */
  const checkWaits = () => {
    const v = engine.view('api')!;
    const now = clock.now();
    const waits: [string, number | null, number][] = [
      ['cooldown', v.cooldown.until, max.cooldown],
      ['hold', v.hold?.until ?? null, max.hold],
      ['circuit', v.state.tag === 'circuit_open' ? v.circuit.reopensAt : null, max.circuit],
    ];
    for (const [what, until, bound] of waits) {
      if (until === null) continue;
      const left = until - now;
      if (left > bound) trace.problems.push(`${what} wait of ${left} ms shown, longer than ${bound} ms`);
      const due = clock.nextDueIn();
      if (left > 0 && (due === null || due > left))
        trace.problems.push(`${what} ends in ${left} ms, timer in ${due}`);
    }
  };

  for (const step of steps) {
    if (step.kind === 'input') {
      await advance(step.advanceMs);
      if (step.input.type === 'external_restart') {
        for (let i = 0; i < step.input.count; i++)
          trace.restarts.push({ at: trueNow(), initiator: 'external' });
      }
      await engine.submit('api', step.input);
      await engine.idle();
    } else if (step.kind === 'step') {
      clock.stepWall(step.ms);
    } else {
      if (!persist) continue;
      unsubscribe();
      await engine.close();
      store.close();
      if (step.reboot) {
        const before = trueNow();
        clock.reboot({ downMs: step.downMs, monotonic: step.uptimeMs, origin: `boot-${before}` });
        shift = before + step.downMs - clock.monotonic();
      } else {
        clock.advance(step.downMs); // nothing armed: the engine that armed timers is gone
      }
      clock.stepWall(step.stepMs);
      store = openStore(path);
      engine = await createEngine({ store, services, executor, clock, logger });
      unsubscribe = engine.subscribe((event) => trace.events.push({ at: trueNow(), event }));
    }
    checkWaits();
  }
  unsubscribe();
  await engine.close();
  store.close();
  return trace;
}

/** Promise 1: no automatic restart puts more than maxRestarts restarts in any windowSec (true time). */
function promise1(policy: Policy, t: Trace): string | null {
  const W = policy.windowSec * 1000;
  for (let i = 0; i < t.restarts.length; i++) {
    const r = t.restarts[i]!;
    if (r.initiator !== 'auto') continue;
    const inWindow = t.restarts.slice(0, i + 1).filter((o) => o.at > r.at - W).length;
    if (inWindow > policy.maxRestarts) return `${inWindow} restarts in the window at ${r.at}`;
  }
  return null;
}

/**
 * Promise 2 on true time: ≥ cooldownSec between any restart and the next automatic one; a hold
 * never expires before its TTL; a circuit never half-opens before openSec.
 */
function promise2(policy: Policy, t: Trace): string | null {
  for (let i = 1; i < t.restarts.length; i++) {
    const gap = t.restarts[i]!.at - t.restarts[i - 1]!.at;
    if (t.restarts[i]!.initiator === 'auto' && gap < policy.cooldownSec * 1000) {
      return `automatic restart ${gap} ms after the previous one (cooldown ${policy.cooldownSec} s)`;
    }
  }
  let hold: { at: number; ttlMs: number } | null = null;
  let opened: number | null = null;
  for (const { at, event } of t.events) {
    if (event.decision === 'hold_set' && event.input?.type === 'hold') {
      hold = { at, ttlMs: event.input.ttlSec * 1000 };
    }
    if (event.decision === 'hold_expired' && hold && at - hold.at < hold.ttlMs) {
      return `hold of ${hold.ttlMs} ms expired after ${at - hold.at} ms`;
    }
    if (event.decision === 'hold_released' || event.decision === 'hold_expired') hold = null;
    if (event.decision === 'circuit_opened') opened = at;
    if (
      event.decision === 'circuit_half_open' &&
      opened !== null &&
      at - opened < policy.circuit.openSec * 1000
    ) {
      return `circuit half-open ${at - opened} ms after opening (openSec ${policy.circuit.openSec})`;
    }
    const auto = event.effects.some((e) => e.type === 'restart' && e.initiator === 'auto');
    if (auto && (event.stateFrom === 'held' || event.stateFrom === 'circuit_open')) {
      return `automatic restart while ${event.stateFrom}`;
    }
  }
  return null;
}

function verdict(policy: Policy, t: Trace): void {
  const problem = promise1(policy, t) ?? promise2(policy, t) ?? t.problems[0] ?? null;
  if (problem) throw new Error(problem);
}

describe('promises 1 and 2 across wall-clock steps of up to ±24 h', () => {
  it('hold while medic runs: every delay, TTL and the window measure monotonic time', async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.array(runningStepArb, { minLength: 1, maxLength: 60 }),
        async (policy, steps) => verdict(policy, await run(policy, steps, false)),
      ),
      { numRuns: 150 },
    );
  });

  it('hold across restarts of medic, with time passing, steps and reboots while it is down', async () => {
    const stepArb = fc.oneof({ weight: 8, arbitrary: runningStepArb }, { weight: 1, arbitrary: restartArb });
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (policy, steps) =>
        verdict(policy, await run(policy, steps, true)),
      ),
      { numRuns: 40 },
    );
  });

  it("restarts on time after the wall clock steps back an hour during a cooldown (the issue's example)", async () => {
    const policy = (await import('./helpers.js')).policy({
      failureThreshold: 1,
      cooldownSec: 20,
      backoff: { initialSec: 20, factor: 1, maxSec: 20 },
    });
    const steps: Step[] = [
      { kind: 'input', advanceMs: 1000, input: { type: 'exited', code: 1 } },
      { kind: 'input', advanceMs: 1000, input: { type: 'exited', code: 1 } },
      { kind: 'step', ms: -3600_000 },
      { kind: 'input', advanceMs: 25_000, input: { type: 'probe_failed' } },
    ];
    const t = await run(policy, steps, false);
    expect(t.problems).toEqual([]);
    expect(t.restarts.map((r) => r.at - t.restarts[0]!.at)).toEqual([0, 20_000]);
  });
});
