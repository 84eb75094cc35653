/**
 * How events read in Slack: which kinds open an incident, which are thread follow-ups, the
 * one-line thread note for each, and the status line an operator action leaves on the parent.
 */

import { EVENT_KINDS, type EventKind } from '../../src/core/audit.js';
import { esc, hhmm, toMs } from '../blocks/format.js';
import type { AlertLinkView, DriftFindingView } from '../blocks/incident.js';
import { mention } from '../roles.js';
import type { MedicEvent } from '../types.js';

/** Kinds that open an incident when none is open for the service. */
export const OPENING_KINDS = new Set([
  'circuit_opened',
  'restart_blocked',
  'approval_requested',
  'hold_expired',
  'drift_detected',
]);

/**
 * Kinds that go into the thread of an open incident: every kind except plain observations,
 * blocked restarts (one opens the incident; the rest would flood the thread), and the kinds
 * that are not about one service's recovery.
 */
const NOT_FOLLOW_UPS: ReadonlySet<EventKind> = new Set([
  'observation',
  'restart_blocked',
  'policy_applied',
  'policy_rolled_back',
  'access_denied',
]);
export const FOLLOW_UP_KINDS: ReadonlySet<string> = new Set(
  EVENT_KINDS.filter((k) => !NOT_FOLLOW_UPS.has(k)),
);

/** The drift findings an event carries (`data.findings`), if any. */
export function findingsOf(e: MedicEvent): DriftFindingView[] | undefined {
  const data = e.data as { findings?: unknown } | null | undefined;
  return Array.isArray(data?.findings) ? (data.findings as DriftFindingView[]) : undefined;
}

/**
 * The alert an event came from (`data.alert` of events caused by POST /alertmanager), when its
 * generatorURL is a plain http(s) URL that can sit in a Slack link; otherwise undefined.
 */
export function alertLinkOf(e: MedicEvent): AlertLinkView | undefined {
  const a = (e.data as { alert?: { name?: unknown; generatorURL?: unknown } } | null | undefined)?.alert;
  const url = typeof a?.generatorURL === 'string' ? a.generatorURL : '';
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined;
  return { name: typeof a?.name === 'string' && a.name ? a.name : 'alert', url };
}

/** What happened, for the parent message. */
export function happened(e: MedicEvent): string {
  if (e.reason) return e.reason;
  switch (e.kind) {
    case 'circuit_opened':
      return 'Restarts stopped helping: the churn limit was reached and the circuit opened.';
    case 'restart_blocked':
      return `An automatic restart was blocked (${e.decision ?? 'guard'}).`;
    case 'approval_requested':
      return 'medic asks for approval of one probe restart.';
    case 'hold_expired':
      return 'The hold expired; automatic restarts resume under the policy.';
    case 'hard_stop':
      return 'Restarts stopped helping: the unit was stopped (hard stop on churn).';
    case 'drift_detected':
      return 'The live system no longer matches the runtime contract.';
    default:
      return e.kind;
  }
}

const by = (e: MedicEvent, tz: string) => `${e.actor ? ` by ${mention(e.actor)}` : ''} at ${hhmm(e.at, tz)}`;
const why = (e: MedicEvent) => {
  const link = alertLinkOf(e);
  return `${e.reason ? ` — ${e.reason}` : ''}${link ? ` (<${link.url}|alert ${esc(link.name)}>)` : ''}`;
};

/** The thread note for a follow-up, or null when it is not worth a message. */
export function threadNote(e: MedicEvent, tz: string): string | null {
  switch (e.kind) {
    case 'restart_decided':
      if (e.decision === 'restart_approved')
        return `:white_check_mark: Probe restart approved${by(e, tz)}${why(e)}`;
      if (e.decision === 'restart_forced') return `:warning: Forced restart${by(e, tz)}${why(e)}`;
      return `:arrows_counterclockwise: Restart decided at ${hhmm(e.at, tz)}${why(e)}`;
    case 'restart_executed':
      return e.decision === 'restart_failed'
        ? `:x: Restart failed at ${hhmm(e.at, tz)}${why(e)}`
        : `:arrows_counterclockwise: Restart executed at ${hhmm(e.at, tz)}${why(e)}`;
    case 'circuit_opened':
      return `:rotating_light: Circuit opened at ${hhmm(e.at, tz)}${why(e)}`;
    case 'circuit_half_open':
      return `:large_yellow_circle: Circuit half-open at ${hhmm(e.at, tz)}: one probe restart allowed`;
    case 'circuit_closed':
      return `:white_check_mark: Circuit closed at ${hhmm(e.at, tz)} — the service is stable`;
    case 'hold_set':
      return `:double_vertical_bar: Automatic restarts blocked${by(e, tz)}${why(e)}`;
    case 'hold_released':
      return `:arrow_forward: Hold released${by(e, tz)}${why(e)}`;
    case 'hold_expired':
      return `:hourglass: Hold expired at ${hhmm(e.at, tz)}; automatic restarts resume`;
    case 'approval_requested':
      return `:raising_hand: Approval requested at ${hhmm(e.at, tz)}`;
    case 'approval_granted':
      return null; // the restart_decided(restart_approved) note says it
    case 'hard_stop':
      return `:octagonal_sign: Unit stopped (hard stop) at ${hhmm(e.at, tz)}${why(e)}`;
    case 'drift_detected':
      return `:warning: Drift still present at ${hhmm(e.at, tz)}${why(e)}`;
    case 'drift_resolved':
      return `:white_check_mark: Drift resolved at ${hhmm(e.at, tz)}`;
    case 'escalation_sent':
    case 'escalation_failed': {
      const d = e.data as { target?: unknown; action?: unknown } | null;
      const what = `${typeof d?.action === 'string' ? d.action : 'escalation'} to ${typeof d?.target === 'string' ? d.target : '?'}`;
      return e.kind === 'escalation_sent'
        ? `:pager: Escalated (${what}) at ${hhmm(e.at, tz)}`
        : `:x: Escalation failed (${what}) at ${hhmm(e.at, tz)}${why(e)}`;
    }
    default:
      return null;
  }
}

/** The thread note of a refusal episode's periodic summary (core/episode.ts), or null. */
export function summaryNote(e: MedicEvent, tz: string): string | null {
  const d = e.data as { summary?: unknown; count?: unknown; firstAt?: unknown; total?: unknown } | null;
  if (!d?.summary || typeof d.count !== 'number') return null;
  const since = typeof d.firstAt === 'number' ? ` since ${hhmm(d.firstAt, tz)}` : '';
  const total = typeof d.total === 'number' ? ` (${d.total} in this episode)` : '';
  return `:no_entry_sign: Restart refused ${d.count} more time(s) (${e.decision ?? 'blocked'})${since}${total}`;
}

/** The status line an operator's action leaves on the parent ("Approved by @x at HH:MM"). */
export function statusLine(e: MedicEvent, tz: string): string | null {
  const who = mention(e.actor);
  const at = hhmm(e.at, tz);
  if (e.decision === 'restart_approved' || e.kind === 'approval_granted')
    return `Approved by ${who} at ${at}`;
  if (e.kind === 'hold_set') return `Blocked by ${who} at ${at}`;
  if (e.kind === 'hold_released') return `Released by ${who} at ${at}`;
  if (e.decision === 'restart_forced') return `Force-restarted by ${who} at ${at}`;
  if (e.kind === 'hold_expired') return `Hold expired at ${at}`;
  if (e.kind === 'circuit_closed') return `Circuit closed at ${at}`;
  return null;
}

/** True when this event ends the service's episode (it is healthy again / drift is gone). */
export function endsIncident(e: MedicEvent): boolean {
  if (e.kind === 'drift_resolved') return true;
  return (
    e.stateTo === 'healthy' && e.stateFrom !== null && e.stateFrom !== undefined && e.stateFrom !== 'healthy'
  );
}

export const eventTime = (e: MedicEvent): number | null => toMs(e.at);
