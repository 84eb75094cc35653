/**
 * `GET /status` (viewer token): the health/admin payload. It is `projectService` for every service,
 * the same projection GraphQL `Service` resolves from, plus when it was generated.
 */

import { projectService, type ServiceStatus } from '../../core/status.js';
import type { Engine } from '../../engine/types.js';

export interface StatusPayload {
  generatedAt: string;
  services: ServiceStatus[];
}

export function statusPayload(engine: Pick<Engine, 'views'>, publicUrl: string, now: number): StatusPayload {
  return {
    generatedAt: new Date(now).toISOString(),
    services: engine.views().map((view) => projectService(view, publicUrl)),
  };
}
