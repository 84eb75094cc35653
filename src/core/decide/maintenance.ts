/**
 * A `hold` maintenance window (core/maintenance.ts) refuses automatic restarts: the decision is
 * `skip_maintenance` (restart_blocked, counted; repeats in one episode are compacted to one
 * written event by episode.ts) and the service waits in `cooldown` with cause `maintenance`
 * until the window ends. At the end (a tick at `until`, or the engine's tick when the window
 * ends or is cancelled early) the restart goes through the gate like any automatic restart, so a
 * service that broke during the window is handled by its policy from that moment.
 *
 * Nothing enters the churn window or the backoff run: no restart happened. Operator restarts
 * (force, approve) never look here. (shared.ts turns the result into the Decision.)
 */
import type { ActiveMaintenance } from '../maintenance.js';
import { countBlocked } from '../state.js';
import type { Churn, CooldownState, Surroundings } from '../types.js';

/** The hold window in force at `now`, if any (a shadow window holds nothing). */
export function holdingWindow(env: Surroundings, now: number): ActiveMaintenance | undefined {
  const m = env.maintenance;
  return m && m.mode === 'hold' && m.endsAt > now ? m : undefined;
}

/** The state of a service whose automatic restart the hold window `m` refused. */
export function heldByWindow(base: { churn: Churn; failures: number }, m: ActiveMaintenance): CooldownState {
  return {
    tag: 'cooldown',
    churn: countBlocked(base.churn, 'skip_maintenance'),
    failures: base.failures,
    until: m.endsAt,
    cause: 'maintenance',
  };
}
