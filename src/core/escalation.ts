/**
 * Escalation when medic gives up (issue 17): which audit events open an escalation episode
 * (a PagerDuty `trigger` / webhook), which end it (`resolve`), and the message. Pure; the outbox
 * (src/escalation) persists and delivers what this returns.
 *
 * One episode per service at a time: the first trigger while none is open opens it (its dedup
 * key names the service and the opening event), later triggers in the same episode say nothing
 * (once per episode), and the circuit closing or the service being healthy again resolves it.
 */
import type { AuditEvent } from './audit.js';

/** What may open an episode (contract `escalation.on`; default all). */
export const ESCALATION_TRIGGERS = [
  'circuit_opened',
  'hard_stop',
  'probe_failed',
  'approval_pending',
] as const;
export type EscalationTrigger = (typeof ESCALATION_TRIGGERS)[number];

export type Severity = 'critical' | 'error' | 'warning' | 'info';

export type EscalationStep =
  | { action: 'trigger'; trigger: EscalationTrigger; severity: Severity; summary: string }
  | { action: 'resolve'; summary: string }
  | null;

/** The event fields the decision reads. */
export type EscalationEvent = Pick<
  AuditEvent,
  'kind' | 'service' | 'stateFrom' | 'stateTo' | 'reason' | 'data'
>;

/** The trigger an event is, or null (a circuit re-opened by a failed probe is `probe_failed`). */
export function triggerOf(e: EscalationEvent): EscalationTrigger | null {
  if (e.kind === 'hard_stop') return 'hard_stop';
  if (e.kind !== 'circuit_opened') return null;
  return (e.data as { cause?: unknown } | null)?.cause === 'probe_failed' ? 'probe_failed' : 'circuit_opened';
}

/**
 * What an event means for the service's escalation: `open` says whether an episode is open.
 * Escalation's own events (`escalation_*`) never escalate.
 */
export function escalationStep(
  e: EscalationEvent,
  open: boolean,
  on: readonly EscalationTrigger[],
): EscalationStep {
  if (e.service === null || e.kind.startsWith('escalation_')) return null;
  if (open) {
    const over = e.kind === 'circuit_closed' || (e.stateTo === 'healthy' && e.stateFrom !== 'healthy');
    return over ? { action: 'resolve', summary: `medic: ${e.service} recovered (${e.kind})` } : null;
  }
  const trigger = triggerOf(e);
  if (trigger === null || !on.includes(trigger)) return null;
  return {
    action: 'trigger',
    trigger,
    severity: trigger === 'hard_stop' ? 'critical' : 'error',
    summary: `medic gave up on ${e.service}: ${TRIGGER_TEXT[trigger]}${e.reason ? ` — ${e.reason}` : ''}`,
  };
}

/** The step of an approval that waited longer than `approvalPendingSec`. */
export function approvalPendingStep(service: string, waitedSec: number): NonNullable<EscalationStep> {
  return {
    action: 'trigger',
    trigger: 'approval_pending',
    severity: 'error',
    summary: `medic gave up on ${service}: ${TRIGGER_TEXT.approval_pending} (${Math.round(waitedSec)}s)`,
  };
}

const TRIGGER_TEXT: Record<EscalationTrigger, string> = {
  circuit_opened: 'circuit opened, automatic restarts stopped',
  hard_stop: 'unit stopped (hard stop on churn)',
  probe_failed: 'the half-open probe restart failed, circuit re-opened',
  approval_pending: 'a probe restart has waited for approval too long',
};

/** The dedup key of an episode: stable across redeliveries, unique per service and episode. */
export function dedupKey(node: string, service: string, openingEventId: number): string {
  return `medic/${node}/${service}/${openingEventId}`;
}
