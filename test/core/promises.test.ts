/**
 * The product's promises (DESIGN.md) as properties over thousands of random policies and
 * input sequences. Promise 4 (crash safety) belongs to the store and is tested there.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextWakeAt } from '../../src/core/deadline.js';
import { isTaken } from '../../src/core/decide/shared.js';
import { decide } from '../../src/core/decide.js';
import { minSpanForCircuitSec, type Policy, parsePolicy, restartSpacingSec } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import { DECISION_CODES, type Input, type ServiceState, STATE_NAMES } from '../../src/core/types.js';
import { drive, policyArb, rawPolicyArb, restartsOf, type Step, stepsArb, T0 } from './arbitraries.js';

const RUNS = 1000;
const CODES: ReadonlySet<string> = new Set(DECISION_CODES);
const TAGS: ReadonlySet<string> = new Set(STATE_NAMES);

/** Plain assertion for hot loops (vitest's expect costs microseconds per call). */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

describe('promise 1: churn limit', () => {
  it('never issues an automatic restart that would put more than maxRestarts restarts (any initiator) in a windowSec window', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const all = restartsOf(drive(policy, steps));
        const W = policy.windowSec * 1000;
        all.forEach((r, i) => {
          if (r.initiator !== 'auto') return;
          // Every restart (auto, forced, approved, external) up to and including this one, in
          // the window (r.at - windowSec, r.at]. Later ones at the same instant came after it.
          const upToHere = all.slice(0, i + 1).filter((o) => o.at > r.at - W);
          check(upToHere.length <= policy.maxRestarts, `${upToHere.length} restarts in window at ${r.at}`);
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('promise 2: no automatic restart too soon, while held, or while the circuit is open', () => {
  it('keeps at least cooldownSec between any restart and the next automatic one', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const all = restartsOf(drive(policy, steps));
        for (let i = 1; i < all.length; i++) {
          if (all[i].initiator !== 'auto') continue;
          check(all[i].at - all[i - 1].at >= policy.cooldownSec * 1000, `restart ${i} inside cooldown`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('spaces automatic restarts by the backoff delay of the current run when health never returns', () => {
    // Without a passing probe (or an operator reset) the backoff run cannot decay, so the n-th
    // restart of the run must be followed by at least restartSpacingSec(policy, n).
    const noHealth = stepsArb.map((steps) =>
      steps.filter(
        (s) => s.kind === 'wake' || (s.input.type !== 'probe_ok' && s.input.type !== 'reset_circuit'),
      ),
    );
    fc.assert(
      fc.property(policyArb, noHealth, (policy, steps) => {
        const all = restartsOf(drive(policy, steps));
        for (let i = 1; i < all.length; i++) {
          if (all[i].initiator !== 'auto') continue;
          const gap = all[i].at - all[i - 1].at;
          check(gap >= restartSpacingSec(policy, i) * 1000, `restart ${i} after ${gap}ms: inside backoff`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never restarts automatically while held or while the circuit is open', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          if (r.before.tag !== 'held' && r.before.tag !== 'circuit_open') continue;
          const auto = r.decision.effects.some((e) => e.type === 'restart' && e.initiator === 'auto');
          check(!auto, `automatic restart while ${r.before.tag}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('promise 3: one decision per input, reproducible', () => {
  it('yields exactly one well-formed decision for every input', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const records = drive(policy, steps);
        expect(records.length).toBe(
          steps.filter((s) => s.kind === 'input').length + countWakes(policy, steps),
        );
        for (const { decision } of records) {
          check(CODES.has(decision.decision), `unknown code ${decision.decision}`);
          check(decision.taken === isTaken(decision.decision), `taken wrong for ${decision.decision}`);
          check(/^\S[^\n]*$/.test(decision.detail), `bad detail ${decision.detail}`);
          check(TAGS.has(decision.next.tag), `bad state ${decision.next.tag}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same decisions for the same inputs, also after a JSON round-trip of the state mid-sequence', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, fc.nat(), (policy, steps, cut) => {
        const whole = drive(policy, steps);
        check(JSON.stringify(drive(policy, steps)) === JSON.stringify(whole), 'second run differs');
        const k = cut % (steps.length + 1);
        const head = drive(policy, steps.slice(0, k));
        const last = head.at(-1);
        const mid: ServiceState = last ? last.decision.next : initialState();
        const revived = JSON.parse(JSON.stringify(mid)) as ServiceState;
        const tail = drive(policy, steps.slice(k), revived, last ? last.at : T0);
        const joined = JSON.stringify([...head, ...tail].map((r) => r.decision));
        check(joined === JSON.stringify(whole.map((r) => r.decision)), 'continuation after JSON differs');
      }),
      { numRuns: RUNS },
    );
  });
});

/** How many `wake`/`near` steps produce an input (those with a deadline), replayed independently. */
function countWakes(policy: Policy, steps: Step[]): number {
  let n = 0;
  let s: ServiceState = initialState();
  let now = T0;
  for (const step of steps) {
    if (step.kind === 'wake' || step.kind === 'near') {
      const wake = nextWakeAt(s, policy);
      if (wake === null) continue;
      now = Math.max(now, wake + (step.kind === 'near' ? step.offsetMs : 0));
      s = decide(s, step.kind === 'near' ? step.input : { type: 'tick' }, now, policy).next;
      n++;
    } else {
      now += step.advanceMs;
      s = decide(s, step.input, now, policy).next;
    }
  }
  return n;
}

describe('promise 5: policies whose limits can never trip are rejected', () => {
  it('rejects exactly the policies in which maxRestarts + 1 restarts cannot fit inside windowSec', () => {
    fc.assert(
      fc.property(rawPolicyArb, (raw) => {
        const result = parsePolicy(raw);
        const probe = parsePolicy({ ...raw, windowSec: 1e9 });
        if (!probe.ok) throw new Error('only the window rule may fail for these policies');
        const infeasible = minSpanForCircuitSec(probe.value) >= raw.windowSec!;
        expect(result.ok).toBe(!infeasible);
        if (!result.ok) {
          expect(result.problems).toHaveLength(1);
          expect(result.problems[0].path).toBe('windowSec');
          expect(result.problems[0].message).toContain('never open');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('lets every accepted policy actually open the circuit when the service keeps crashing', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        // Crash right after every restart and tick at every deadline.
        const { opened, restarts } = keepFailing(policy, { type: 'exited', code: 1 });
        expect(opened).toBe(true);
        expect(restarts).toBe(policy.maxRestarts);
      }),
      { numRuns: RUNS },
    );
  });

  it('lets every accepted policy actually open the circuit when the service hangs (probes fail, no crash)', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const { opened, restarts } = keepFailing(policy, { type: 'probe_failed' });
        expect(opened).toBe(true);
        expect(restarts).toBe(policy.maxRestarts);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * Feeds `failure` until the service wants a restart, right after every restart too, and ticks
 * at every deadline: the fastest pace at which this kind of failure makes medic restart.
 */
function keepFailing(policy: Policy, failure: Input): { opened: boolean; restarts: number } {
  let s = initialState() as ServiceState;
  let now = T0;
  let restarts = 0;
  const step = (input: Input): boolean => {
    const d = decide(s, input, now, policy);
    restarts += d.effects.filter((e) => e.type === 'restart').length;
    s = d.next;
    return d.decision === 'circuit_opened';
  };
  const crashing = failure.type === 'exited';
  for (let i = 0; i < 10 * (policy.maxRestarts + 2) * policy.failureThreshold; i++) {
    // Healthy: fail until the threshold is reached. Restarting: a crash fails the restart at
    // once, a hang only when the grace expires (tick). Cooldown: wait for its end (tick).
    const fail = s.tag === 'healthy' || (s.tag === 'restarting' && crashing);
    if (!fail) now = Math.max(now, nextWakeAt(s, policy)!);
    if (step(fail ? failure : { type: 'tick' })) return { opened: true, restarts };
  }
  return { opened: false, restarts };
}

describe('guard rails', () => {
  it('never restarts automatically or on approval while held', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          if (r.before.tag !== 'held' || r.input.type === 'force_restart') continue;
          check(
            !r.decision.effects.some((e) => e.type === 'restart'),
            `restart while held on ${r.input.type}`,
          );
          if (r.input.type !== 'release' && r.input.type !== 'tick' && r.input.type !== 'hold') {
            check(r.decision.next.tag === 'held', `${r.input.type} left the hold`);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('always executes a forced restart, in every state, and counts it as churn', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, fc.constantFrom('alice', 'bob'), (policy, steps, actor) => {
        for (const r of drive(policy, steps)) {
          const at = r.at + 1;
          const d = decide(r.decision.next, { type: 'force_restart', actor, reason: 'x' }, at, policy);
          check(d.decision === 'restart_forced' && d.taken, `forced restart gave ${d.decision}`);
          const e = JSON.stringify(d.effects);
          check(e === '[{"type":"restart","initiator":"forced","probe":false}]', `effects ${e}`);
          check(d.next.churn.totalRestarts === r.decision.next.churn.totalRestarts + 1, 'not counted');
          check(d.next.churn.lastRestartAt === at && d.next.churn.window.at(-1) === at, 'not in window');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and leaves its inputs untouched', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          const before = JSON.stringify(r.before);
          const again = decide(r.before, r.input, r.at, policy);
          check(JSON.stringify(again) === JSON.stringify(r.decision), 'decide is not deterministic');
          check(JSON.stringify(r.before) === before, 'decide mutated its input state');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips every state it produces through JSON', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          const revived: unknown = JSON.parse(JSON.stringify(r.decision.next));
          check(
            isDeepStrictEqual(revived, r.decision.next),
            `state ${r.decision.next.tag} does not round-trip`,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('changes something whenever a tick arrives at nextWakeAt', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          const s = r.decision.next;
          const wake = nextWakeAt(s, policy);
          if (wake === null) continue;
          const d = decide(s, { type: 'tick' }, Math.max(r.at, wake), policy);
          const changed = d.decision !== 'noop' || JSON.stringify(d.next) !== JSON.stringify(s);
          check(changed, `tick at nextWakeAt did nothing in ${s.tag}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
