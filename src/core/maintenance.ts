/**
 * Maintenance windows (issue 18, part 2): the vocabulary every part shares. A window says, for
 * some services (or `all`) and a stretch of time, that automatic restarts are either **held**
 * (`hold`: not issued at all; recorded once per episode as `skip_maintenance`) or **shadowed**
 * (`shadow`: decided and recorded, never executed). Operator force and approve always work.
 *
 * Windows come from the contract (`maintenance:`, recurring, in a real IANA time zone) or ad hoc
 * (GraphQL / CLI / Slack, stored in SQLite). Which window applies at an instant is a pure
 * function of (windows, t): src/contract/maintenance/active.ts. decide() is only told the
 * answer (`Surroundings.maintenance`), so it stays pure.
 */

export const MAINTENANCE_MODES = ['hold', 'shadow'] as const;
export type MaintenanceMode = (typeof MAINTENANCE_MODES)[number];

/** The window in force for one service at one instant (times in the caller's timebase). */
export interface ActiveMaintenance {
  /** `contract:<name>` for a contract window, `adhoc:<id>` for an ad hoc one. */
  id: string;
  name: string;
  mode: MaintenanceMode;
  /** When this window ends (the latest end when several windows overlap). */
  endsAt: number;
  /** Why (ad hoc windows: the operator's reason; contract windows: null). */
  reason: string | null;
  /** Escalations and Slack incidents are sent (marked as maintenance) instead of suppressed. */
  notify: boolean;
}

/** The part of a window an audit event carries (`data.maintenance`): escalation and Slack read it. */
export interface MaintenanceMark {
  id: string;
  name: string;
  mode: MaintenanceMode;
  notify: boolean;
}

export function markOf(m: ActiveMaintenance): MaintenanceMark {
  return { id: m.id, name: m.name, mode: m.mode, notify: m.notify };
}

/** The mark an audit event's `data` carries, if any (tolerant of any JSON). */
export function maintenanceMarkOf(data: Record<string, unknown> | null | undefined): MaintenanceMark | null {
  const m = data?.maintenance;
  if (typeof m !== 'object' || m === null) return null;
  const { id, name, mode, notify } = m as Record<string, unknown>;
  if (typeof id !== 'string' || typeof name !== 'string') return null;
  if (mode !== 'hold' && mode !== 'shadow') return null;
  return { id, name, mode, notify: notify === true };
}

/** 7 days: a longer ad hoc window belongs in the contract. */
export const MAX_WINDOW_SEC = 7 * 24 * 3600;

/** An ad hoc window's time arguments as an operator gives them (epoch ms; `from` default now). */
export interface WindowTimes {
  from?: number | null;
  until?: number | null;
  durationSec?: number | null;
}

export type WindowSpan =
  | { ok: true; from: number; until: number }
  | { ok: false; field: 'until'; message: string };

/**
 * The span an ad hoc window covers, or why it cannot be scheduled at `now`: exactly one of
 * `until` and `durationSec`, ending after its start and after now, at most MAX_WINDOW_SEC long.
 * The agent's `scheduleMaintenance` decides with it; the hub checks with it before queueing the
 * command (the agent checks again on its own clock).
 */
export function windowSpan(args: WindowTimes, now: number): WindowSpan {
  const from = args.from ?? now;
  if ((args.until == null) === (args.durationSec == null))
    return { ok: false, field: 'until', message: 'give exactly one of until and durationSec' };
  const until = args.until ?? from + (args.durationSec ?? 0) * 1000;
  if (until <= from) return { ok: false, field: 'until', message: 'until must be after from' };
  if (until <= now) return { ok: false, field: 'until', message: 'the window would already be over' };
  if (until - from > MAX_WINDOW_SEC * 1000)
    return {
      ok: false,
      field: 'until',
      message: `a window lasts at most ${MAX_WINDOW_SEC / 86400} days (longer: the contract)`,
    };
  return { ok: true, from, until };
}
