/**
 * Speak once: which decisions reach the audit log (and from there the bus, the log, Slack and
 * metrics), and which are only counted.
 *
 * Rule (docs/CORE.md "What is recorded"): every decision that changes state, every effect,
 * every operator action and the FIRST refusal of an episode leave one audit event. A refusal of
 * a periodic input (a failed probe) that repeats the previous one — same service, same reason,
 * same state episode (the open circuit, the hold, the cooldown), and the failure count not reset
 * since — still commits its state (the blocked counter stays exact) but writes no event; at most one summary event per reason per `SUMMARY_EVERY_MS` carries the
 * repeats since the last written one (`count`, `firstAt`, `lastAt`), and the repeats left when
 * the episode ends ride on the event that ends it (`data.refusals`). A `noop` of a probe or tick
 * that changes nothing at all (same state, no effect) is neither written nor committed; a tick
 * that only re-aims a maintenance wait at its window's end is committed, not written; so are a
 * budget wait's re-asks and its failed probes after the wait began. Exits,
 * restart outcomes, systemd's restarts and operator commands are always written.
 *
 * `compact()` is pure: decide() stays untouched and the same inputs give the same decisions
 * with or without compaction (test/core/episode.test.ts proves it).
 */
import { BLOCK_REASONS, type BlockReason, type Decision, type Input, type ServiceState } from './types.js';

/** At most one summary event per service and reason in this period. */
export const SUMMARY_EVERY_MS = 10 * 60 * 1000;

/** The refusals of one reason in one state episode, as the engine remembers them. */
export interface RefusalRun {
  reason: BlockReason;
  /** episodeOf(state) of the episode the run belongs to. */
  episode: string;
  /** Refusals in this episode (the recorded first one included). */
  total: number;
  /** Refusals not yet carried by a written event, and the first and last of them. */
  unreported: number;
  firstAt: number;
  lastAt: number;
  /** When the last event about this run (first refusal or summary) was written. */
  reportedAt: number;
  /**
   * False once a written decision of the episode lowered the failure count after this run's
   * last refusal (a passing probe reset it): the next refusal is news, not a repeat, and is
   * written. A counted repeat must change nothing a later decision reads — true while failures
   * stay at or over the threshold the last refusal reached — because policy replay sees only
   * what the log holds (the half-open circuit reads whether the service is failing again).
   */
  repeating: boolean;
}

/** Per service: the open run of each reason. Plain data; the engine keeps one per service. */
export type Runs = Partial<Record<BlockReason, RefusalRun>>;

/** Repeats summarised in one event (`data.refusals` / a summary event's `data`). */
export interface RefusalSummary {
  reason: BlockReason;
  /** Refusals summarised here (not the ones already written). */
  count: number;
  firstAt: number;
  lastAt: number;
  /** Refusals in the whole episode so far. */
  total: number;
}

/**
 * What to do with one decision:
 * - `event`: commit state + its decision event; `refusals` (ended runs) go into its data;
 * - `summary`: a repeated refusal whose summary is due: commit state + one summary event;
 * - `state`: a repeated refusal: commit the state only (counted, not written);
 * - `none`: nothing changed: neither state nor event.
 */
export type Recording =
  | { write: 'event'; runs: Runs; refusals: RefusalSummary[] }
  | { write: 'summary'; runs: Runs; summary: RefusalSummary }
  | { write: 'state'; runs: Runs }
  | { write: 'none'; runs: Runs };

/** The identity of the state episode a refusal happens in (stable while the episode lasts). */
export function episodeOf(s: ServiceState): string {
  switch (s.tag) {
    case 'circuit_open':
      return `circuit_open@${s.openedAt}`;
    case 'half_open':
      return `half_open@${s.since}`;
    case 'held':
      return `held@${s.setAt}`;
    case 'cooldown':
      // A maintenance wait is one episode however often its end is re-aimed (decide/cooldown.ts).
      return s.cause === 'maintenance' ? 'cooldown/maintenance' : `cooldown@${s.until}/${s.cause}`;
    case 'restarting':
      return `restarting@${s.issuedAt}`;
    case 'healthy':
      return 'healthy';
    case 'deferred':
      return `deferred@${s.since}`;
    case 'budget_wait':
      return `budget_wait@${s.since}`;
  }
}

const REASONS: ReadonlySet<string> = new Set(BLOCK_REASONS);

/**
 * Inputs that arrive on a schedule (probes, timer ticks) and may be compacted. Everything else
 * — exits, restart outcomes, systemd's own restarts, operator commands — is rare, carries its
 * own information and is always written (policy replay reads those inputs from the log).
 */
const PERIODIC: ReadonlySet<Input['type']> = new Set<Input['type']>([
  'probe_failed',
  'probe_ok',
  'tick',
  // The hub's answers to the re-asks of one budget wait (issue 16): the first denial is written.
  'budget_denied',
  'budget_unreachable',
  // A slot notification makes a re-ask (state only, as a due tick's).
  'budget_slot_free',
]);

function isRefusal(code: string): code is BlockReason {
  return REASONS.has(code);
}

function summaryOf(run: RefusalRun): RefusalSummary {
  return {
    reason: run.reason,
    count: run.unreported,
    firstAt: run.firstAt,
    lastAt: run.lastAt,
    total: run.total,
  };
}

/** Both states are the same maintenance wait, differing at most in its deadline. */
function reaimed(a: ServiceState, b: ServiceState): boolean {
  if (a.tag !== 'cooldown' || b.tag !== 'cooldown' || a.cause !== 'maintenance' || b.cause !== 'maintenance')
    return false;
  return sameState({ ...a, until: 0 }, { ...b, until: 0 });
}

/** Structural equality of two states (they are small, JSON-shaped data). */
export function sameState(a: ServiceState, b: ServiceState): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Decides how `d` (decided from `prev` on `input` at `now`) is recorded, given the service's
 * open refusal runs. Returns the runs to keep for the next decision.
 */
export function compact(runs: Runs, prev: ServiceState, input: Input, d: Decision, now: number): Recording {
  const periodic = PERIODIC.has(input.type);
  const episode = episodeOf(d.next);
  // Re-asking the hub during one budget wait: its state is committed, the first ask was written.
  if (
    d.decision === 'budget_requested' &&
    periodic &&
    prev.tag === 'budget_wait' &&
    episodeOf(prev) === episode
  ) {
    return { write: 'state', runs };
  }
  // A failed probe while one budget wait lasts: the wait's start said the service is down and
  // waits; each further probe adds only to its failure count (committed, exact in the state),
  // so it is counted, not written — a probe every 200 ms would otherwise write five events a
  // second per waiting service, thousands in a storm (found by the storm of real agents).
  if (
    d.decision === 'failure_counted' &&
    input.type === 'probe_failed' &&
    d.effects.length === 0 &&
    prev.tag === 'budget_wait' &&
    episodeOf(prev) === episode
  ) {
    return { write: 'state', runs };
  }
  if (isRefusal(d.decision) && periodic && d.effects.length === 0) {
    const run = runs[d.decision];
    if (run && run.episode === episode && run.repeating) {
      const first = run.unreported === 0;
      const next: RefusalRun = {
        ...run,
        total: run.total + 1,
        unreported: run.unreported + 1,
        firstAt: first ? now : run.firstAt,
        lastAt: now,
      };
      if (now - run.reportedAt >= SUMMARY_EVERY_MS) {
        const summary = summaryOf(next);
        return {
          write: 'summary',
          summary,
          runs: { ...runs, [d.decision]: { ...next, unreported: 0, reportedAt: now } },
        };
      }
      return { write: 'state', runs: { ...runs, [d.decision]: next } };
    }
  }
  if (d.decision === 'noop' && periodic && d.effects.length === 0 && sameState(prev, d.next)) {
    return { write: 'none', runs };
  }
  // A tick that only re-aims a maintenance wait at its window's end: committed, not written.
  if (d.decision === 'noop' && input.type === 'tick' && d.effects.length === 0 && reaimed(prev, d.next)) {
    return { write: 'state', runs };
  }
  // Written: runs of other episodes have ended; their unreported repeats ride on this event.
  // Runs of this episode stay open (their totals go on); one whose failure count this decision
  // lowered stops repeating.
  const reset = d.next.failures < prev.failures;
  const refusals: RefusalSummary[] = [];
  const kept: Runs = {};
  for (const run of Object.values(runs) as RefusalRun[]) {
    if (run.episode === episode && run.reason !== d.decision) {
      kept[run.reason] = reset ? { ...run, repeating: false } : run;
    } else if (run.unreported > 0) refusals.push(summaryOf(run));
  }
  if (isRefusal(d.decision)) {
    // A written refusal (the first of its episode, or a non-periodic one such as a crash):
    // it reports the run so far, and repeats count from here.
    const same = runs[d.decision];
    const total = same && same.episode === episode ? same.total + 1 : 1;
    kept[d.decision] = {
      reason: d.decision,
      episode,
      total,
      unreported: 0,
      firstAt: now,
      lastAt: now,
      reportedAt: now,
      repeating: true,
    };
  }
  return { write: 'event', runs: kept, refusals };
}
