/**
 * `maintenanceWindows(service, node)` on an agent (viewer): the windows now in force or still to
 * come, contract ones with their current or next span, ad hoc ones not over yet
 * (maintenance-views.ts, which is also what this agent ships to the hub beside its contract
 * snapshot, so both APIs show one list). The types are shared with the hub
 * (shared/maintenance.ts), as is `ServiceMaintenance` (`Service.maintenance`, shared/service.ts).
 * A `node` other than this agent's answers an empty list.
 */
import { builder } from '../builder.js';
import { windowViews } from '../maintenance-views.js';
import { isLocal } from '../service-id.js';
import { maintenanceTypes } from '../shared/maintenance.js';

export const { MaintenanceModeEnum, MaintenanceWindowRef, MaintenanceResultRef } = maintenanceTypes(builder);

builder.queryFields((t) => ({
  maintenanceWindows: t.field({
    type: [MaintenanceWindowRef],
    description: 'Maintenance windows in force now or still to come (contract and ad hoc).',
    args: {
      service: t.arg.string({ description: 'Only windows covering this service.' }),
      node: t.arg.string({ description: 'This host (MEDIC_NODE_NAME); another node answers an empty list.' }),
    },
    resolve: (_root, { service, node }, ctx) => (isLocal(ctx, node) ? windowViews(ctx, service) : []),
  }),
}));
