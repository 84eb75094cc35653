/** A tiny driver for example-based tests: feed inputs at whole seconds after T0. */

import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { DEFAULT_POLICY, type Policy, type PolicyInput, parsePolicy } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import type { Decision, Input, ServiceState } from '../../src/core/types.js';
import { T0 } from './arbitraries.js';

export const alice = { actor: 'alice', reason: 'investigating' };

export function policyOf(overrides: PolicyInput = {}): Policy {
  const parsed = parsePolicy({ ...overrides });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

export class Sim {
  state: ServiceState;
  now = T0;
  readonly log: Decision[] = [];
  constructor(
    readonly policy: Policy = DEFAULT_POLICY,
    state: ServiceState = initialState(),
  ) {
    this.state = state;
  }
  /** Seconds since T0 of the current time. */
  get sec(): number {
    return (this.now - T0) / 1000;
  }
  /** Feeds `input` at T0 + `sec` seconds. */
  at(sec: number, input: Input): Decision {
    this.now = T0 + sec * 1000;
    return this.feed(input);
  }
  /** Feeds `input` now. */
  feed(input: Input): Decision {
    const d = decide(this.state, input, this.now, this.policy);
    this.log.push(d);
    this.state = d.next;
    return d;
  }
  /** Ticks at the next deadline (fails if there is none). */
  wake(): Decision {
    const at = nextWakeAt(this.state, this.policy);
    if (at === null) throw new Error(`no deadline in state ${this.state.tag}`);
    this.now = Math.max(this.now, at);
    return this.feed({ type: 'tick' });
  }
  /** Feeds the same input `n` times, one second apart, starting at `sec`. */
  repeat(sec: number, n: number, input: Input): Decision {
    let d = this.at(sec, input);
    for (let i = 1; i < n; i++) d = this.at(sec + i, input);
    return d;
  }
}
