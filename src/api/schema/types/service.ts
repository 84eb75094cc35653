/**
 * `Service`: the GraphQL face of `ServiceStatus` (src/server/projection.ts), the same projection
 * `/status` serves. Queries: `services`, `service(name)`.
 */
import { projectService, type ServiceStatus } from '../../../core/status.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { serviceId } from '../service-id.js';
import {
  CircuitStateEnum,
  EventKindEnum,
  EventOrderEnum,
  ModeEnum,
  RecommendedActionCodeEnum,
  ServiceStateEnum,
} from './enums.js';
import { EventConnectionRef, eventPage } from './event.js';
import { ServiceMaintenanceRef } from './maintenance.js';
import { PolicyRef } from './policy.js';

type Churn = ServiceStatus['churn'];

const BlockedCountRef = builder.objectRef<Churn['blockedByReason'][number]>('BlockedCount').implement({
  fields: (t) => ({ reason: t.exposeString('reason'), count: t.exposeInt('count') }),
});

const ChurnRef = builder.objectRef<Churn>('Churn').implement({
  description: 'Restart churn counters; the window slides over the last windowSec seconds.',
  fields: (t) => ({
    restartsInWindow: t.exposeInt('restartsInWindow'),
    windowSec: t.exposeFloat('windowSec'),
    maxRestarts: t.exposeInt('maxRestarts'),
    totalRestarts: t.exposeInt('totalRestarts'),
    blockedAttempts: t.exposeInt('blockedAttempts'),
    blockedByReason: t.field({ type: [BlockedCountRef], resolve: (c) => c.blockedByReason }),
    circuitOpens: t.exposeInt('circuitOpens'),
    lastRestartAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.lastRestartAt }),
  }),
});

const CooldownRef = builder.objectRef<ServiceStatus['cooldown']>('Cooldown').implement({
  fields: (t) => ({
    active: t.exposeBoolean('active'),
    until: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.until }),
  }),
});

const CircuitRef = builder.objectRef<ServiceStatus['circuit']>('Circuit').implement({
  fields: (t) => ({
    state: t.field({ type: CircuitStateEnum, resolve: (c) => c.state }),
    openedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.openedAt }),
    reopensAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.reopensAt }),
  }),
});

const HoldRef = builder.objectRef<NonNullable<ServiceStatus['hold']>>('Hold').implement({
  fields: (t) => ({
    actor: t.exposeString('actor'),
    reason: t.exposeString('reason'),
    until: t.field({ type: 'DateTime', resolve: (h) => h.until }),
  }),
});

const BackoffRef = builder.objectRef<ServiceStatus['backoff']>('Backoff').implement({
  fields: (t) => ({ nextDelaySec: t.exposeFloat('nextDelaySec') }),
});

const RecommendedRef = builder.objectRef<ServiceStatus['recommendedAction']>('RecommendedAction').implement({
  description: 'The one thing the operator should do next, with the command and runbook link.',
  fields: (t) => ({
    code: t.field({ type: RecommendedActionCodeEnum, resolve: (r) => r.code }),
    summary: t.exposeString('summary'),
    command: t.exposeString('command'),
    runbookUrl: t.exposeString('runbookUrl'),
  }),
});

const LastDecisionRef = builder
  .objectRef<NonNullable<ServiceStatus['lastDecision']>>('LastDecision')
  .implement({
    fields: (t) => ({
      decision: t.exposeString('decision'),
      reason: t.exposeString('reason', { nullable: true }),
      at: t.field({ type: 'DateTime', resolve: (d) => d.at }),
      actor: t.exposeString('actor', { nullable: true }),
    }),
  });

export const ServiceRef = builder.objectRef<ServiceStatus>('Service').implement({
  description: 'A supervised service: state, churn, guards and the recommended action.',
  fields: (t) => ({
    id: t.id({
      description: 'Stable and globally unique: `<host>/<name>` (the same on the agent and the fleet hub).',
      resolve: (s) => serviceId(s.name),
    }),
    name: t.exposeString('name'),
    unit: t.exposeString('unit'),
    state: t.field({ type: ServiceStateEnum, resolve: (s) => s.state }),
    mode: t.field({ type: ModeEnum, resolve: (s) => s.mode }),
    churn: t.field({ type: ChurnRef, resolve: (s) => s.churn }),
    cooldown: t.field({ type: CooldownRef, resolve: (s) => s.cooldown }),
    circuit: t.field({ type: CircuitRef, resolve: (s) => s.circuit }),
    hold: t.field({ type: HoldRef, nullable: true, resolve: (s) => s.hold }),
    maintenance: t.field({
      type: ServiceMaintenanceRef,
      nullable: true,
      description: 'The maintenance window in force now (hold or shadow) and when it ends; null: none.',
      resolve: (s) => s.maintenance,
    }),
    backoff: t.field({ type: BackoffRef, resolve: (s) => s.backoff }),
    approvalPending: t.exposeBoolean('approvalPending', {
      description: 'True when approveRestart would be accepted now.',
    }),
    recommendedAction: t.field({ type: RecommendedRef, resolve: (s) => s.recommendedAction }),
    policy: t.field({ type: PolicyRef, resolve: (s) => s.policy }),
    lastDecision: t.field({ type: LastDecisionRef, nullable: true, resolve: (s) => s.lastDecision }),
    events: t.field({
      type: EventConnectionRef,
      description: "This service's audit events, newest first.",
      args: {
        kinds: t.arg({ type: [EventKindEnum] }),
        first: t.arg.int(),
        after: t.arg.string(),
        order: t.arg({ type: EventOrderEnum }),
      },
      resolve: (s, args, ctx) => eventPage(ctx, { ...args, service: s.name }),
    }),
  }),
});

/** The projection of one service now, or null when the engine does not know it. */
export function serviceStatus(ctx: ApiContext, name: string): ServiceStatus | null {
  const view = ctx.engine.view(name);
  return view ? projectService(view, ctx.publicUrl) : null;
}

builder.queryFields((t) => ({
  services: t.field({
    type: [ServiceRef],
    resolve: (_root, _args, ctx) => ctx.engine.views().map((v) => projectService(v, ctx.publicUrl)),
  }),
  service: t.field({
    type: ServiceRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => serviceStatus(ctx, name),
  }),
}));
