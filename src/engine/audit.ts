/**
 * Turning a decision into its audit event, and every audit event into one structured log
 * line with the same fields (service, decision, reason, actor, counters, kind, taken), so
 * journald and log pipelines see every automatic restart, blocked attempt and manual override.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, NewEvent } from '../core/audit.js';
import type { RefusalSummary } from '../core/episode.js';
import { countersOf, eventKindOf } from '../core/events.js';
import type { Policy } from '../core/policy.js';
import type { Decision, Input, ServiceState } from '../core/types.js';
import type { Logger } from '../log.js';
import type { SubmitMeta } from './types.js';

/** Actor of decisions nobody asked for (probes, timers, outcomes). */
export const SYSTEM_ACTOR = 'medic';

/** Stable hash of a policy (zod output has a fixed key order). */
export function policyHash(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16);
}

export function decisionEvent(
  service: string,
  prev: ServiceState,
  input: Input,
  d: Decision,
  now: number,
  policy: Policy,
  meta: SubmitMeta,
  refusals: RefusalSummary[] = [],
  from?: ServiceState,
): NewEvent {
  const operator = 'actor' in input ? input : null;
  return {
    at: now,
    service,
    kind: eventKindOf(d.decision),
    decision: d.decision,
    taken: d.taken,
    input,
    actor: operator ? operator.actor : SYSTEM_ACTOR,
    reason: operator ? operator.reason : d.detail,
    stateFrom: prev.tag,
    stateTo: d.next.tag,
    counters: countersOf(d.next, now, policy),
    effects: d.effects,
    mode: policy.mode,
    data: {
      detail: d.detail,
      source: meta.source ?? null,
      // Why a circuit opened (churn, fatal_exit, probe_failed): escalation names it.
      ...(d.next.tag === 'circuit_open' && d.decision === 'circuit_opened' ? { cause: d.next.cause } : {}),
      ...meta.data,
      // Repeats of refusals whose episode ended with this decision (not yet in any event).
      ...(refusals.length ? { refusals } : {}),
      // The state decided from, when counted repeats were committed since the last event
      // (so the log still replays: decide(from, input) gives this event).
      ...(from ? { from } : {}),
    },
  };
}

/**
 * The periodic summary of a refusal episode: a `restart_blocked` event for the repeat that made
 * it due, carrying how many refusals were only counted since the last written one.
 */
export function summaryEvent(
  service: string,
  prev: ServiceState,
  input: Input,
  d: Decision,
  s: RefusalSummary,
  now: number,
  policy: Policy,
  meta: SubmitMeta,
  from?: ServiceState,
): NewEvent {
  const base = decisionEvent(service, prev, input, d, now, policy, meta, [], from);
  const since = new Date(s.firstAt).toISOString();
  return {
    ...base,
    reason: `${d.detail} Refused ${s.count} more time(s) the same way since ${since} (${s.total} in this episode).`,
    data: { ...base.data, summary: true, ...s },
  };
}

const WARN_KINDS = new Set([
  'circuit_opened',
  'hard_stop',
  'restart_blocked',
  'access_denied',
  'drift_detected',
]);

/** One JSON log line per audit event. */
export function logEvent(log: Logger, e: AuditEvent, note?: string): void {
  const fields = {
    eventId: e.id,
    service: e.service,
    kind: e.kind,
    decision: e.decision,
    taken: e.taken,
    reason: e.reason,
    actor: e.actor,
    counters: e.counters,
    stateFrom: e.stateFrom,
    stateTo: e.stateTo,
    input: e.input?.type ?? null,
    effects: e.effects,
    mode: e.mode,
    ...(note ? { note } : {}),
  };
  const msg = `${e.service ?? '-'}: ${e.decision ?? e.kind}${note ? ` (${note})` : ''}`;
  if (WARN_KINDS.has(e.kind)) log.warn(fields, msg);
  else log.info(fields, msg);
}
