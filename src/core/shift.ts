/**
 * `shiftState(state, deltaMs)`: the same state with every point in time moved by `deltaMs`.
 *
 * The core is indifferent to which clock its times come from, as long as one clock is used
 * throughout: decide() only ever compares times and adds durations. The engine runs decide()
 * on a monotonic timeline and converts a state to wall-clock time (to store or show it) and
 * back (to re-base a stored state on start) with this one function. Durations (`openSec`),
 * counters and identities are not times and stay as they are.
 *
 * Pure; returns the argument itself when `deltaMs` is 0.
 */
import type { Churn, HeldCircuit, ServiceState } from './types.js';

const opt = (t: number | null, d: number): number | null => (t === null ? null : t + d);

function shiftChurn(churn: Churn, d: number): Churn {
  return {
    ...churn,
    window: churn.window.map((t) => t + d),
    lastRestartAt: opt(churn.lastRestartAt, d),
  };
}

function shiftCircuit(c: HeldCircuit | null, d: number): HeldCircuit | null {
  return c === null ? null : { ...c, openedAt: c.openedAt + d, reopensAt: c.reopensAt + d };
}

export function shiftState<S extends ServiceState>(state: S, deltaMs: number): S {
  if (deltaMs === 0) return state;
  const d = deltaMs;
  const churn = shiftChurn(state.churn, d);
  const s: ServiceState = state;
  switch (s.tag) {
    case 'healthy':
      return { ...s, churn, healthySince: opt(s.healthySince, d) } as S;
    case 'restarting':
      return { ...s, churn, issuedAt: s.issuedAt + d, graceUntil: s.graceUntil + d } as S;
    case 'cooldown':
      return { ...s, churn, until: s.until + d } as S;
    case 'circuit_open':
      return { ...s, churn, openedAt: s.openedAt + d, reopensAt: s.reopensAt + d } as S;
    case 'half_open':
      return { ...s, churn, since: s.since + d, stableSince: opt(s.stableSince, d) } as S;
    case 'deferred':
      return { ...s, churn, since: s.since + d, restartAt: opt(s.restartAt, d) } as S;
    case 'budget_wait':
      return { ...s, churn, since: s.since + d, askAt: s.askAt + d } as S;
    case 'held':
      return {
        ...s,
        churn,
        setAt: s.setAt + d,
        until: s.until + d,
        circuit: shiftCircuit(s.circuit, d),
      } as S;
  }
}
