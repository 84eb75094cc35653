/**
 * Full service views (core viewOf, the default policy) for simulated agents that ship over the
 * real protocol without running an engine: the status page and the bench need every field a
 * card shows (a partial view makes those fields errors at the hub, fleet-view.ts).
 */
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import type { ServiceState } from '../../src/core/types.js';
import { type ServiceView, viewOf } from '../../src/core/view.js';

export type SyntheticState = 'healthy' | 'cooldown' | 'circuit_open';

function stateOf(tag: SyntheticState, now: number): ServiceState {
  const base = initialState();
  if (tag === 'cooldown') return { ...base, tag, until: now + 60_000, cause: 'cooldown' };
  if (tag === 'circuit_open')
    return { ...base, tag, openedAt: now, reopensAt: now + 600_000, openSec: 600, cause: 'churn' };
  return base;
}

/** The view of `name` (unit `name.service`) in state `tag` at `now`. */
export function syntheticView(name: string, tag: SyntheticState, now: number): ServiceView {
  return viewOf({
    name,
    unit: `${name}.service`,
    policy: DEFAULT_POLICY,
    state: stateOf(tag, now),
    now,
    lastDecision: null,
  });
}
