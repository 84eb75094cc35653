/**
 * Speak once (core/episode.ts): compaction drops only repeated refusals of one episode (and
 * no-ops that change nothing), never a state transition or an effect, and the counts it
 * carries add up exactly to the refusals decide() made.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compact,
  episodeOf,
  type RefusalRun,
  type RefusalSummary,
  type Runs,
  SUMMARY_EVERY_MS,
  sameState,
} from '../../src/core/episode.js';
import { BLOCK_REASONS, type BlockReason, type Input } from '../../src/core/types.js';
import { drive, policyArb, type Record, type Step, stepArb } from './arbitraries.js';
import { policyOf, Sim } from './sim.js';

/** Bursts of the same failure, one probe interval apart: where repeats happen. */
const burstArb: fc.Arbitrary<Step[]> = fc
  .record({
    n: fc.integer({ min: 1, max: 60 }),
    everyMs: fc.constantFrom(1_000, 10_000, 60_000, 240_000),
    input: fc.constantFrom<Input>({ type: 'probe_failed' }, { type: 'exited', code: 1 }),
  })
  .map(({ n, everyMs, input }) =>
    Array.from({ length: n }, (): Step => ({ kind: 'input', advanceMs: everyMs, input })),
  );

const stepsArb = fc
  .array(
    fc.oneof(
      stepArb.map((s) => [s]),
      burstArb,
    ),
    { minLength: 1, maxLength: 40 },
  )
  .map((chunks) => chunks.flat());

interface Written {
  record: Record;
  write: 'event' | 'summary';
  refusals: RefusalSummary[];
  summary?: RefusalSummary;
}

function run(records: Record[]) {
  let runs: Runs = {};
  const written: Written[] = [];
  const dropped: { record: Record; write: 'state' | 'none' }[] = [];
  for (const r of records) {
    const rec = compact(runs, r.before, r.input, r.decision, r.at);
    runs = rec.runs;
    if (rec.write === 'event') written.push({ record: r, write: 'event', refusals: rec.refusals });
    else if (rec.write === 'summary')
      written.push({ record: r, write: 'summary', refusals: [], summary: rec.summary });
    else dropped.push({ record: r, write: rec.write });
  }
  return { written, dropped, runs };
}

const isRefusal = (code: string): code is BlockReason => (BLOCK_REASONS as readonly string[]).includes(code);

/** A state transition: the state's tag or episode changes, an effect, or an operator's input. */
const transition = (r: Record) =>
  r.decision.effects.length > 0 ||
  'actor' in r.input ||
  r.before.tag !== r.decision.next.tag ||
  episodeOf(r.before) !== episodeOf(r.decision.next);

describe('episode compaction', () => {
  it('keeps every state transition and effect: the same sequence with and without compaction', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const full = drive(policy, steps);
        const { written, dropped } = run(full);
        const project = (r: Record) => ({ at: r.at, input: r.input, decision: r.decision });
        // Without compaction every record is written; with it, the transitions are the same ones.
        expect(
          written
            .map((w) => w.record)
            .filter(transition)
            .map(project),
        ).toEqual(full.filter(transition).map(project));
        // What is dropped is a repeated refusal (state committed) or a no-op that changed nothing.
        for (const d of dropped) {
          expect(d.record.decision.effects).toEqual([]);
          expect(['probe_failed', 'probe_ok', 'tick']).toContain(d.record.input.type);
          expect(d.record.before.tag).toBe(d.record.decision.next.tag);
          if (d.write === 'none') {
            expect(d.record.decision.decision).toBe('noop');
            expect(sameState(d.record.before, d.record.decision.next)).toBe(true);
          } else expect(isRefusal(d.record.decision.decision)).toBe(true);
        }
        // Every other decision is written, in order (the first refusal of an episode included).
        expect(written.length + dropped.length).toEqual(full.length);
      }),
      { numRuns: 150 },
    );
  });

  it('accounts for every refusal exactly: first ones written, repeats in summaries or still open', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const full = drive(policy, steps);
        if (full.length === 0) return;
        const { written, runs } = run(full);
        for (const reason of BLOCK_REASONS) {
          const refusals = full.filter((r) => r.decision.decision === reason).length;
          let accounted = 0;
          for (const w of written) {
            if (w.write === 'event' && w.record.decision.decision === reason) accounted += 1;
            if (w.summary?.reason === reason) accounted += w.summary.count;
            for (const s of w.refusals) if (s.reason === reason) accounted += s.count;
          }
          accounted += (runs[reason] as RefusalRun | undefined)?.unreported ?? 0;
          expect(accounted).toBe(refusals);
        }
        // churn.blocked (what the views and metrics read) is exact: untouched by compaction.
        const last = full.at(-1)!.decision.next;
        for (const reason of BLOCK_REASONS) {
          const before = full[0].before.churn.blocked[reason] ?? 0;
          expect((last.churn.blocked[reason] ?? 0) - before).toBe(
            full.filter((r) => r.decision.decision === reason).length,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes at most one refusal event per reason per 10 minutes for failed probes within an episode', () => {
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        const { written } = run(drive(policy, steps));
        const last = new Map<string, number>();
        for (const w of written) {
          const code = w.record.decision.decision;
          const episode = episodeOf(w.record.decision.next);
          // Leaving the episode ends its runs (coming back, e.g. after a hold, starts anew).
          for (const k of [...last.keys()]) if (!k.endsWith(`|${episode}`)) last.delete(k);
          // So does a written decision that reset the failure count (a passing probe): the next
          // refusal is news, and the log must hold it to replay.
          if (w.record.decision.next.failures < w.record.before.failures) last.clear();
          // Crashes are always written (rare, and policy replay needs them); probes are not.
          if (!isRefusal(code) || w.record.input.type !== 'probe_failed') continue;
          const key = `${code}|${episode}`;
          const prev = last.get(key);
          if (prev !== undefined) {
            expect(w.write).toBe('summary');
            expect(w.record.at - prev).toBeGreaterThanOrEqual(SUMMARY_EVERY_MS);
          }
          last.set(key, w.record.at);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes the refusal that follows a written decision of the same episode (a passing probe between two failures)', () => {
    // failureThreshold 1: each failed probe is refused while the circuit is open.
    const sim = new Sim(
      policyOf({ failureThreshold: 1, circuit: { hardStop: false, openSec: 7200, maxOpenSec: 7200 } }),
    );
    sim.repeat(0, 3, { type: 'probe_failed' });
    for (let i = 0; i < 10 && sim.state.tag !== 'circuit_open'; i++) sim.wake();
    expect(sim.state.tag).toBe('circuit_open');
    let runs: Runs = {};
    const t0 = sim.sec;
    const writes: string[] = [];
    for (const [s, input] of [
      [1, { type: 'probe_failed' }],
      [2, { type: 'probe_failed' }],
      [3, { type: 'probe_ok' }],
      [4, { type: 'probe_failed' }],
      [5, { type: 'probe_failed' }],
    ] as [number, Input][]) {
      const prev = sim.state;
      const d = sim.at(t0 + s, input);
      const rec = compact(runs, prev, input, d, sim.now);
      runs = rec.runs;
      writes.push(`${d.decision}:${rec.write}`);
    }
    // The passing probe reset the failure count (a written noop); the failure after it brings
    // the count back to the threshold, which the half-open circuit reads: it is written.
    expect(writes).toEqual([
      'skip_circuit_open:event',
      'skip_circuit_open:state',
      'noop:event',
      'skip_circuit_open:event',
      'skip_circuit_open:state',
    ]);
    expect(runs.skip_circuit_open?.total).toBe(4);
  });

  it('records an hour of refused probes of an open circuit as one event plus summaries', () => {
    const sim = new Sim(policyOf({ circuit: { hardStop: false, openSec: 7200, maxOpenSec: 7200 } }));
    sim.repeat(0, 3, { type: 'probe_failed' });
    for (let i = 0; i < 10 && sim.state.tag !== 'circuit_open'; i++) sim.wake();
    let runs: Runs = {};
    const writes: string[] = [];
    const t0 = sim.sec;
    for (let s = 1; s <= 3600; s++) {
      const prev = sim.state;
      const d = sim.at(t0 + s, { type: 'probe_failed' });
      const rec = compact(runs, prev, { type: 'probe_failed' }, d, sim.now);
      runs = rec.runs;
      writes.push(rec.write);
    }
    expect(sim.state.tag).toBe('circuit_open');
    expect(sim.state.churn.blocked.skip_circuit_open).toBeGreaterThanOrEqual(3598);
    // the first refusal, then one summary per 10 minutes
    expect(writes.filter((w) => w === 'event')).toHaveLength(1);
    expect(writes.filter((w) => w === 'summary')).toHaveLength(5);
  });
});
