/**
 * `MaintenanceWindow` and `MaintenanceResult` (issue 18's maintenance windows), the same types on
 * the agent and the hub, so `maintenanceWindows`, `scheduleMaintenance` and `cancelMaintenance`
 * documents run unchanged against either:
 * - on an agent: its contract windows (the current span, else the next) and its ad hoc windows not
 *   over yet, now (src/api/schema/types/maintenance.ts);
 * - at the hub: what each node's agent last shipped (src/hub/schema/maintenance.ts), `active`
 *   judged on the hub's clock.
 * `MaintenanceResult` has the fleet members (AmbiguousError, PendingCommand): at the hub the
 * mutations are commands to a node's agent, answered after a bounded wait.
 */
import { perBuilder } from './builder.js';
import { enumTypes } from './enums.js';
import { resultUnion } from './errors.js';

/** One window as both APIs show it (and as an agent ships it: src/fleet/maintenance.ts). */
export interface WindowView {
  /** `contract:<name>` or `adhoc:<n>`: unique on its node (cancelMaintenance takes it). */
  id: string;
  /** The node whose window it is (the agent's MEDIC_NODE_NAME). */
  node: string;
  name: string;
  source: 'contract' | 'adhoc';
  /** null: every service of the node. */
  services: string[] | null;
  mode: 'hold' | 'shadow';
  notify: boolean;
  reason: string | null;
  actor: string | null;
  schedule: string | null;
  timezone: string | null;
  /** The current span, else the next one (contract windows); null when none is to come. ISO. */
  from: string | null;
  until: string | null;
  active: boolean;
}

export const maintenanceTypes = perBuilder((builder) => {
  const { MaintenanceModeEnum } = enumTypes(builder);
  const MaintenanceWindowRef = builder.objectRef<WindowView>('MaintenanceWindow').implement({
    description:
      'A maintenance window: from the contract (recurring) or scheduled ad hoc (GraphQL, CLI, Slack, the hub).',
    fields: (t) => ({
      id: t.exposeString('id', {
        description:
          '`contract:<name>` or `adhoc:<n>`, unique on its node (cancelMaintenance takes either n or adhoc:n).',
      }),
      node: t.exposeString('node', { description: 'The node whose window it is.' }),
      name: t.exposeString('name'),
      source: t.exposeString('source', { description: '`contract` or `adhoc`.' }),
      services: t.exposeStringList('services', {
        nullable: true,
        description: 'null: every service of the node.',
      }),
      mode: t.field({ type: MaintenanceModeEnum, resolve: (w) => w.mode }),
      notify: t.exposeBoolean('notify', {
        description:
          'Escalations and new Slack incidents during the window: sent marked as maintenance (true) or suppressed (false).',
      }),
      reason: t.exposeString('reason', { nullable: true }),
      actor: t.exposeString('actor', { nullable: true, description: 'Who scheduled it (ad hoc windows).' }),
      schedule: t.exposeString('schedule', {
        nullable: true,
        description: 'The contract schedule as written.',
      }),
      timezone: t.exposeString('timezone', { nullable: true }),
      from: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.from }),
      until: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.until }),
      active: t.exposeBoolean('active', { description: 'In force now.' }),
    }),
  });
  const MaintenanceResultRef = resultUnion<WindowView>(builder, 'MaintenanceResult', MaintenanceWindowRef);
  return { MaintenanceModeEnum, MaintenanceWindowRef, MaintenanceResultRef };
});
