/**
 * Escalation during a maintenance window (issue 18): a decision event committed in a window
 * carries `data.maintenance` (core/maintenance.ts). A trigger it would cause is suppressed when
 * the window does not `notify` (the outage is expected; the audit log has it), or sent marked
 * `[maintenance <name>]` when it does. Resolves are never suppressed (an episode opened before
 * the window still ends).
 */
import type { EscalationStep } from '../core/escalation.js';
import { maintenanceMarkOf } from '../core/maintenance.js';

export function duringMaintenance(
  step: EscalationStep,
  data: Record<string, unknown> | null,
): { step: EscalationStep; suppressedBy: string | null } {
  const mark = maintenanceMarkOf(data);
  if (!step || step.action !== 'trigger' || !mark) return { step, suppressedBy: null };
  if (!mark.notify) return { step: null, suppressedBy: mark.name };
  return {
    step: { ...step, summary: `[maintenance ${mark.name}, ${mark.mode}] ${step.summary}` },
    suppressedBy: null,
  };
}
