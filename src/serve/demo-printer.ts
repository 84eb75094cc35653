/**
 * One readable line per audit event for `medic demo` (the JSON log goes to a file):
 *
 *   12:00:03  flaky  RESTART      The service crashed (exit 3); restarting (1/3 in window).
 *
 * Routine observations (a passing probe that changes nothing) are left out; repeated identical
 * lines (e.g. refused restarts while the circuit is open) are collapsed into a count.
 */
import type { AuditEvent } from '../store/types.js';

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

/**
 * A printer that collapses runs of the same refused restart (same service, decision and state)
 * into one line plus a count, printed when the run ends (and every 10 while it lasts).
 */
export function demoPrinter(write: (line: string) => void): (e: AuditEvent) => void {
  let lastKey = '';
  let repeats = 0;
  const flush = () => {
    if (repeats > 0) write(`          … refused ${repeats} more time(s) the same way`);
    repeats = 0;
  };
  return (e) => {
    const line = formatEvent(e);
    if (line === null) return;
    const key = `${e.service}|${e.decision ?? e.kind}|${e.stateTo}`;
    if (key === lastKey && e.decision?.startsWith('skip_')) {
      repeats++;
      if (repeats % 10 === 0) flush();
      return;
    }
    flush();
    lastKey = key;
    write(line);
  };
}
