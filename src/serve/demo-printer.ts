/**
 * One readable line per audit event for `medic demo` (the JSON log goes to a file):
 *
 *   12:00:03  flaky  RESTART      The service crashed (exit 3); restarting (1/3 in window).
 *
 * Routine observations (a passing probe that changes nothing) are left out; refusals that were
 * only counted are shown as "… refused N more time(s)", from the counters.
 */
import type { AuditEvent } from '../core/audit.js';

const LABEL: Record<string, string> = {
  restart: 'RESTART',
  restart_forced: 'RESTART (forced)',
  restart_approved: 'RESTART (approved)',
  skip_cooldown: 'SKIP cooldown',
  skip_backoff: 'SKIP backoff',
  skip_circuit_open: 'SKIP circuit',
  skip_held: 'SKIP held',
  circuit_opened: 'CIRCUIT OPEN',
  circuit_half_open: 'HALF-OPEN',
  circuit_closed: 'CIRCUIT CLOSED',
  failure_counted: 'unhealthy',
  recovered: 'recovered',
  restart_succeeded: 'restarted',
  restart_failed: 'restart failed',
  clean_exit: 'clean exit',
  external_restart: 'ext. restart',
  hold_set: 'HOLD',
  hold_released: 'released',
  hold_expired: 'hold expired',
};

function time(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

export function formatEvent(e: AuditEvent): string | null {
  if (e.decision === 'noop' || e.decision === 'not_pending') return null;
  const label = e.decision ? (LABEL[e.decision] ?? e.decision) : e.kind.replaceAll('_', ' ');
  const c = e.counters;
  const counters = c ? `  [restarts in window ${c.restartsInWindow}, blocked ${c.blockedAttempts}]` : '';
  const state =
    e.stateFrom && e.stateTo && e.stateFrom !== e.stateTo ? `  (${e.stateFrom} → ${e.stateTo})` : '';
  return `${time(e.at)}  ${(e.service ?? '-').padEnd(6)} ${label.padEnd(15)} ${e.reason ?? ''}${state}${counters}`;
}

/** What the printer reads between events: each service's exact blocked-attempt counter. */
export interface BlockedCounter {
  name: string;
  churn: { blockedAttempts: number };
}

export interface DemoPrinter {
  /** Prints one event (an engine subscriber). */
  event(e: AuditEvent): void;
  /** Prints refusals counted since the last line (call it periodically with engine.views()). */
  poll(views: BlockedCounter[]): void;
}

/**
 * Prints each written event; refusals that were only counted (repeats of an episode's first
 * refusal write no event, core/episode.ts) appear as one condensed line, fed from the exact
 * `blockedAttempts` counter: at the next event of the service, or at the next `poll`.
 */
export function demoPrinter(write: (line: string) => void): DemoPrinter {
  const seen = new Map<string, number>();
  const more = (service: string, blocked: number, own: number) => {
    const last = seen.get(service);
    seen.set(service, blocked);
    const n = last === undefined ? 0 : blocked - last - own;
    if (n > 0) write(`          … ${service}: refused ${n} more time(s) the same way`);
  };
  return {
    event(e) {
      if (e.service && e.counters) {
        // A written first refusal counts itself; a summary's repeats are all "more".
        const own = e.kind === 'restart_blocked' && !e.data?.summary ? 1 : 0;
        more(e.service, e.counters.blockedAttempts, own);
      }
      if (e.data?.summary) return; // its count was just printed from the counter
      const line = formatEvent(e);
      if (line !== null) write(line);
    },
    poll(views) {
      for (const v of views) if (seen.has(v.name)) more(v.name, v.churn.blockedAttempts, 0);
    },
  };
}
