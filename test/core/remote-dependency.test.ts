/**
 * Dependencies on another node (fleet mode, issue 18), as properties:
 * - judgeRemote: a remote state is known exactly while the hub reported one and its age plus the
 *   time since the agent heard it is within the node's silence; unknown is never down;
 * - RemoteDependencies over random hub answers and clock steps (the hub going silent included):
 *   every verdict it gives equals judgeRemote of the last answer, each change is told to the
 *   engine exactly once (never a repeat, never missed), and a down state turns unknown — told by
 *   its own timer, with no answer arriving — no later than the silence allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RemoteDependencies } from '../../src/agent/remote-deps.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import {
  isUp,
  judgeRemote,
  type RemoteReport,
  type RemoteVerdict,
  remoteDown,
  staleInMs,
} from '../../src/core/dependency.js';
import type { ServiceState } from '../../src/core/types.js';

const TAGS = ['healthy', 'restarting', 'cooldown', 'circuit_open', 'held', 'deferred'] as const;
const stateArb = fc.constantFrom(...TAGS).map((tag) => ({ tag }) as unknown as ServiceState);
const reportArb: fc.Arbitrary<RemoteReport> = fc.record({
  state: fc.option(stateArb, { nil: null }),
  ageMs: fc.integer({ min: 0, max: 60_000 }),
  staleAfterMs: fc.integer({ min: 1, max: 60_000 }),
});

describe('judgeRemote (what an agent knows of a service on another node)', () => {
  it('known exactly while reported and within the silence; unknown is never down', () => {
    fc.assert(
      fc.property(
        fc.option(reportArb, { nil: undefined }),
        fc.integer({ min: 0, max: 120_000 }),
        (r, elapsed) => {
          const v = judgeRemote(r, elapsed);
          const fresh = r !== undefined && r.state !== null && r.ageMs + elapsed <= r.staleAfterMs;
          expect(v.known).toBe(fresh);
          if (!v.known) expect(remoteDown(v)).toBe(false);
          else expect(remoteDown(v)).toBe(!isUp(v.state));
          // Staleness is for good: more elapsed time never makes it known again.
          if (!fresh) expect(judgeRemote(r, elapsed + 1).known).toBe(false);
          const due = staleInMs(r, elapsed);
          if (v.known && due !== null) {
            expect(judgeRemote(r, elapsed + due).known).toBe(false);
            expect(judgeRemote(r, elapsed + due - 1).known).toBe(true);
          }
        },
      ),
    );
  });
});

type Step = { kind: 'answer'; report: RemoteReport } | { kind: 'silent'; ms: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  reportArb.map((report) => ({ kind: 'answer' as const, report })),
  fc.integer({ min: 1, max: 40_000 }).map((ms) => ({ kind: 'silent' as const, ms })),
);

const key = (v: RemoteVerdict) => (v.known ? `${v.state.tag}` : `unknown:${v.reason}`);

describe('RemoteDependencies (the agent side)', () => {
  it('tells every change once, and turns a silent state unknown on time', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const clock = new SimulatedClock();
        const remote = new RemoteDependencies(['node-b/db'], clock);
        const told: { at: number; now: string; before: string }[] = [];
        remote.onChange((_id, now, before) =>
          told.push({ at: clock.monotonic(), now: key(now), before: key(before) }),
        );
        let last: { report: RemoteReport; at: number } | undefined;
        let seen = key(remote.verdict('node-b/db'));
        const check = () => {
          const elapsed = last ? clock.monotonic() - last.at : 0;
          const expected = judgeRemote(last?.report, elapsed);
          expect(key(remote.verdict('node-b/db'))).toBe(key(expected));
        };
        for (const step of steps) {
          if (step.kind === 'answer') {
            last = { report: step.report, at: clock.monotonic() };
            remote.received([{ id: 'node-b/db', ...step.report, state: step.report.state as never }]);
          } else {
            clock.advance(step.ms);
          }
          check();
          // Whatever changed was told (by the answer, or by the staleness timer during the silence).
          const now = key(remote.verdict('node-b/db'));
          const tail = told.at(-1);
          if (now !== seen) expect(tail?.now).toBe(now);
          seen = now;
        }
        // No repeats: each told change really changed something.
        for (const t of told) expect(t.now).not.toBe(t.before);
        remote.close();
      }),
    );
  });
});
