/**
 * Incidents during a maintenance window (issue 18): medic marks every decision event of a window
 * with `data.maintenance` (core/maintenance.ts). A window without `notify` opens no incident
 * (the outage is expected; the audit log still has it); with `notify` the incident opens and says
 * it happened during the window. An incident already open goes on as usual.
 */
import { maintenanceMarkOf } from '../../src/core/maintenance.js';
import type { MedicEvent } from '../types.js';

const markOf = (e: MedicEvent) =>
  maintenanceMarkOf(
    typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : null,
  );

/** True when this event would open an incident but its window says not to notify. */
export function suppressedByMaintenance(e: MedicEvent): boolean {
  const m = markOf(e);
  return m !== null && !m.notify;
}

/** What an incident opened during a window says first, or '' outside one. */
export function maintenancePrefix(e: MedicEvent): string {
  const m = markOf(e);
  return m ? `:wrench: During maintenance window ${m.name} (${m.mode}): ` : '';
}
