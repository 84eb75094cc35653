/**
 * A shipped service view (the agent's core ServiceView as JSON, fleet_services.view) as the
 * shared GraphQL `Service` shape: the same projection the agent's API and `/status` use
 * (core/status.ts), with runbook links to the hub's `/runbook`, plus its node. A view missing
 * parts of a ServiceView (a synthetic client's, or an agent older than the projection) keeps
 * name, unit, state and node; asking for a missing part is then a field error, never a made-up value.
 */
import type { ServiceShape } from '../api/schema/shared/service.js';
import { projectService } from '../core/status.js';
import type { ServiceView } from '../core/view.js';
import type { FleetService } from './nodes.js';

export type FleetServiceShape = ServiceShape & {
  node: string;
  updatedAt: number;
  view: Record<string, unknown>;
};

export function fleetServiceShape(s: FleetService, publicUrl: string): FleetServiceShape {
  const extra = { node: s.node, updatedAt: s.updatedAt, view: s.view };
  try {
    return { ...projectService(s.view as unknown as ServiceView, publicUrl), ...extra };
  } catch {
    return { name: s.name, unit: String(s.view.unit ?? ''), state: s.state, ...extra } as FleetServiceShape;
  }
}
