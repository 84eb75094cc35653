/**
 * Maintenance windows on the wire (issue 15 × issue 18): an agent ships its windows (the
 * API's `maintenanceWindows`: contract windows as their current or next span, ad hoc windows not
 * over yet) beside its contract snapshot, when they changed; a hub `scheduleMaintenance` /
 * `cancelMaintenance` command's result carries the window the agent's own mutation answered.
 * The shape is the API's `MaintenanceWindow` (src/api/schema/shared/maintenance.ts).
 */
import { z } from 'zod';

/** Most windows one node ships. */
export const MAX_SHIPPED_WINDOWS = 1000;

const iso = z.string().max(40).nullable();
const text = z.string().max(2000).nullable();

export const maintenanceWindowSchema = z.object({
  id: z.string().min(1).max(300),
  node: z.string().min(1).max(200),
  name: z.string().min(1).max(300),
  source: z.enum(['contract', 'adhoc']),
  services: z.array(z.string().min(1).max(200)).max(10_000).nullable(),
  mode: z.enum(['hold', 'shadow']),
  notify: z.boolean(),
  reason: text,
  actor: text,
  schedule: text,
  timezone: z.string().max(100).nullable(),
  from: iso,
  until: iso,
  active: z.boolean(),
});
export type ShippedWindow = z.infer<typeof maintenanceWindowSchema>;

/** What a batch carries: every window of the node now (absent = unchanged since the last batch). */
export const maintenanceSnapshotSchema = z.array(maintenanceWindowSchema).max(MAX_SHIPPED_WINDOWS);
