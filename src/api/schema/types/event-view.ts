/**
 * `Event.serviceView`: the service as the event left it, so a subscriber (the Slack bot)
 * renders without a second query. Live events carry the view captured when the engine
 * published them (recoveryEvents); events read back later (`events`) show the service now.
 */
import type { AuditEvent } from '../../../core/audit.js';
import { projectService } from '../../../core/status.js';
import type { ServiceView } from '../../../core/view.js';
import { builder } from '../builder.js';
import { EventRef } from './event.js';
import { ServiceRef } from './service.js';

/** An event as recoveryEvents delivers it: with the service view of its commit. */
export type LiveEvent = AuditEvent & { view?: ServiceView | null };

builder.objectField(EventRef, 'serviceView', (t) =>
  t.field({
    type: ServiceRef,
    nullable: true,
    description: 'The service as this event left it (live events); the service now when read back later.',
    resolve: (e: LiveEvent, _args, ctx) => {
      const view = e.view ?? (e.service ? ctx.engine.view(e.service) : undefined);
      return view ? projectService(view, ctx.publicUrl) : null;
    },
  }),
);
