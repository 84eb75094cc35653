/**
 * What a candidate policy would have done differently: both policies replay the same recorded
 * inputs side by side (replay.ts), step by step. A "step" is one recorded input plus the
 * synthesized ticks due before it, so restarts that only move in time show up as one added
 * and one avoided.
 */
import type { Policy } from '../core/policy.js';
import {
  BLOCK_REASONS,
  type BlockReason,
  type DecisionCode,
  type Input,
  type StateName,
} from '../core/types.js';
import { Replayer, type ReplayOptions, type ReplayStep } from './replay.js';

export interface SideStats {
  decisions: number;
  /** Restart effects of any initiator (automatic, forced, approved, probe). */
  restarts: number;
  /** Automatic restarts only (decision `restart`). */
  autoRestarts: number;
  circuitsOpened: number;
  blocked: number;
  blockedByReason: Partial<Record<BlockReason, number>>;
  stops: number;
  finalState: StateName | null;
}

export interface Divergence {
  at: number;
  input: Input;
  active: { decisions: DecisionCode[]; state: StateName };
  candidate: { decisions: DecisionCode[]; state: StateName };
}

export interface ServiceComparison {
  service: string;
  inputs: number;
  active: SideStats;
  candidate: SideStats;
  restartsAdded: number;
  restartsAvoided: number;
  circuitsAdded: number;
  circuitsAvoided: number;
  /** Steps whose decisions differ. */
  divergingSteps: number;
  firstDivergence: Divergence | null;
}

const BLOCKED = new Set<string>(BLOCK_REASONS);

function emptyStats(): SideStats {
  return {
    decisions: 0,
    restarts: 0,
    autoRestarts: 0,
    circuitsOpened: 0,
    blocked: 0,
    blockedByReason: {},
    stops: 0,
    finalState: null,
  };
}

/** Adds a step's decisions to `stats`; returns [restarts, circuits opened] of the step. */
function tally(steps: ReplayStep[], stats: SideStats): [number, number] {
  let restarts = 0;
  let circuits = 0;
  for (const s of steps) {
    stats.decisions++;
    for (const e of s.effects) {
      if (e.type === 'restart') restarts++;
      else stats.stops++;
    }
    if (s.decision === 'restart') stats.autoRestarts++;
    if (s.decision === 'circuit_opened') circuits++;
    if (BLOCKED.has(s.decision)) {
      const r = s.decision as BlockReason;
      stats.blocked++;
      stats.blockedByReason[r] = (stats.blockedByReason[r] ?? 0) + 1;
    }
    stats.finalState = s.state;
  }
  stats.restarts += restarts;
  stats.circuitsOpened += circuits;
  return [restarts, circuits];
}

const codes = (steps: ReplayStep[]) => steps.map((s) => s.decision);
const sameCodes = (a: ReplayStep[], b: ReplayStep[]) =>
  a.length === b.length && a.every((s, i) => s.decision === b[i].decision);

/** Replays one service's inputs under both policies and counts the differences. */
export function compareService(
  service: string,
  inputs: Iterable<{ at: number; input: Input }>,
  active: Policy,
  candidate: Policy,
  options: ReplayOptions = {},
): ServiceComparison {
  const ra = new Replayer(active, options);
  const rc = new Replayer(candidate, options);
  const out: ServiceComparison = {
    service,
    inputs: 0,
    active: emptyStats(),
    candidate: emptyStats(),
    restartsAdded: 0,
    restartsAvoided: 0,
    circuitsAdded: 0,
    circuitsAvoided: 0,
    divergingSteps: 0,
    firstDivergence: null,
  };
  const step = (sa: ReplayStep[], sc: ReplayStep[], rec: { at: number; input: Input } | null) => {
    const [ar, ac] = tally(sa, out.active);
    const [cr, cc] = tally(sc, out.candidate);
    out.restartsAdded += Math.max(0, cr - ar);
    out.restartsAvoided += Math.max(0, ar - cr);
    out.circuitsAdded += Math.max(0, cc - ac);
    out.circuitsAvoided += Math.max(0, ac - cc);
    if (sameCodes(sa, sc)) return;
    out.divergingSteps++;
    if (out.firstDivergence) return;
    const last = (sa.at(-1) ?? sc.at(-1)) as ReplayStep;
    out.firstDivergence = {
      at: rec?.at ?? last.at,
      input: rec?.input ?? last.input,
      active: { decisions: codes(sa), state: ra.state.tag },
      candidate: { decisions: codes(sc), state: rc.state.tag },
    };
  };
  for (const rec of inputs) {
    out.inputs++;
    step(ra.feed(rec), rc.feed(rec), rec);
  }
  if (options.until !== undefined) {
    const sa: ReplayStep[] = [];
    const sc: ReplayStep[] = [];
    ra.advanceTo(options.until, sa);
    rc.advanceTo(options.until, sc);
    if (sa.length + sc.length > 0) step(sa, sc, null);
  }
  return out;
}
