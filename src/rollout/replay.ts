/**
 * Replay: feed recorded inputs through decide() under a policy. Pure (no clock, no store), so
 * the same inputs and policy always give the same decisions (promise 3).
 *
 * Ticks: the engine submits a `tick` when a deadline of the current state is due
 * (`nextWakeAt`). Those deadlines depend on the policy, so by default replay drops the recorded
 * ticks and synthesizes its own at `nextWakeAt(state, policy)` — exactly as the engine schedules
 * them — which is fair to a candidate whose cooldown or open period differs. `ticks: 'recorded'`
 * replays the recorded ticks verbatim instead (a bit-for-bit re-run of the original inputs).
 *
 * Counterfactual limits (stated, not hidden): restart outcomes (`restart_succeeded/failed`) are
 * the ones recorded; a candidate that would not have restarted sees them as `not_pending`, and a
 * restart only the candidate would have made gets no outcome (its grace period and the probes
 * that follow decide, as they would in the engine).
 */

import { nextWakeAt } from '../core/deadline.js';
import { decide } from '../core/decide.js';
import type { Policy } from '../core/policy.js';
import { initialState } from '../core/state.js';
import type { DecisionCode, Effect, Input, ServiceState } from '../core/types.js';

export interface RecordedInput {
  at: number;
  service: string;
  input: Input;
}

export type TickMode = 'synthesize' | 'recorded';

export interface ReplayOptions {
  ticks?: TickMode;
  /** State before the first input (default: initialState()). */
  initial?: ServiceState;
  /** Fire due synthesized ticks up to this time after the last input (default: none). */
  until?: number;
}

export interface ReplayStep {
  at: number;
  input: Input;
  /** True for a tick that replay synthesized (not in the record). */
  synthetic: boolean;
  decision: DecisionCode;
  taken: boolean;
  state: ServiceState['tag'];
  effects: Effect[];
}

/** Safety net against a deadline that does not advance; the engine would spin too. */
const MAX_TICKS_PER_GAP = 1000;
const TICK: Input = { type: 'tick' };

/**
 * A stepwise replayer for one service: `feed` one recorded input and get the steps it caused
 * (synthesized ticks first, then the input's own decision).
 */
export class Replayer {
  state: ServiceState;
  readonly mode: TickMode;
  /** Time of the last decision (ticks never go back before it, as in the engine). */
  private lastAt = Number.NEGATIVE_INFINITY;
  /**
   * Mirrors the engine's timer: re-armed after every input; after a no-op tick at deadline w
   * it is not re-armed when the next deadline is not later than w (the engine's guard against
   * spinning), until the next input arrives.
   */
  private armed = true;

  constructor(
    public policy: Policy,
    options: Pick<ReplayOptions, 'ticks' | 'initial'> = {},
  ) {
    this.state = options.initial ?? initialState();
    this.mode = options.ticks ?? 'synthesize';
  }

  /** Switches the policy mid-stream, as `engine.setPolicy` does: state carries over, timer re-armed. */
  setPolicy(policy: Policy): void {
    this.policy = policy;
    this.armed = true;
  }

  /** Fires the synthesized ticks due at or before `t`. */
  advanceTo(t: number, out: ReplayStep[]): void {
    if (this.mode !== 'synthesize') return;
    for (let i = 0; i < MAX_TICKS_PER_GAP && this.armed; i++) {
      const wake = nextWakeAt(this.state, this.policy);
      if (wake === null) return;
      const at = Math.max(wake, this.lastAt);
      if (at > t) return;
      const step = this.apply(at, TICK, true);
      out.push(step);
      const again = nextWakeAt(this.state, this.policy);
      if (step.decision === 'noop' && again !== null && again <= wake) this.armed = false;
    }
  }

  /** Steps caused by one recorded input (empty for a recorded tick in synthesize mode). */
  feed(rec: { at: number; input: Input }, out: ReplayStep[] = []): ReplayStep[] {
    this.advanceTo(rec.at, out);
    if (rec.input.type === 'tick' && this.mode === 'synthesize') return out;
    out.push(this.apply(rec.at, rec.input, false));
    this.armed = true;
    return out;
  }

  private apply(at: number, input: Input, synthetic: boolean): ReplayStep {
    const d = decide(this.state, input, at, this.policy);
    this.state = d.next;
    this.lastAt = at;
    return {
      at,
      input,
      synthetic,
      decision: d.decision,
      taken: d.taken,
      state: d.next.tag,
      effects: d.effects,
    };
  }
}

/** Replays one service's inputs (time order) and returns every step. */
export function replay(
  inputs: Iterable<{ at: number; input: Input }>,
  policy: Policy,
  options: ReplayOptions = {},
) {
  const r = new Replayer(policy, options);
  const steps: ReplayStep[] = [];
  for (const rec of inputs) r.feed(rec, steps);
  if (options.until !== undefined) r.advanceTo(options.until, steps);
  return { steps, state: r.state };
}
