/**
 * `Service`: the GraphQL face of `ServiceStatus` (core/status.ts, the projection `/status`
 * serves too), the same type on the agent and the hub. `node` is the host (the agent's
 * MEDIC_NODE_NAME) and `id` = `node/name`, stable and the same on both. On the agent the shape
 * has no `node` and the context names it; at the hub every shape carries its node. Each side
 * adds `events` (its own audit log) with `builder.objectField`.
 */
import type { ServiceStatus } from '../../../core/status.js';
import { LOCAL_NODE } from '../service-id.js';
import { perBuilder } from './builder.js';
import { enumTypes } from './enums.js';
import { policyTypes } from './policy.js';

/** A service as either schema resolves it. */
export type ServiceShape = ServiceStatus & { node?: string };

/** What a resolver context may say about its node (the agent's ApiContext does). */
interface NodeContext {
  node?: string;
}

export const nodeOf = (s: { node?: string }, ctx: NodeContext): string => s.node ?? ctx.node ?? LOCAL_NODE;

type Churn = ServiceStatus['churn'];

export const serviceTypes = perBuilder((builder) => {
  const { CircuitStateEnum, MaintenanceModeEnum, ModeEnum, RecommendedActionCodeEnum, ServiceStateEnum } =
    enumTypes(builder);
  const { PolicyRef } = policyTypes(builder);

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

  const ServiceMaintenanceRef = builder
    .objectRef<NonNullable<ServiceStatus['maintenance']>>('ServiceMaintenance')
    .implement({
      description: 'The maintenance window in force for a service, and when it ends.',
      fields: (t) => ({
        id: t.exposeString('id'),
        name: t.exposeString('name'),
        mode: t.field({ type: MaintenanceModeEnum, resolve: (m) => m.mode }),
        endsAt: t.field({ type: 'DateTime', resolve: (m) => m.endsAt }),
        reason: t.exposeString('reason', { nullable: true }),
        notify: t.boolean({
          description: 'True: escalations and incidents are sent, marked as maintenance; false: suppressed.',
          // `?? false`: a view shipped by an agent older than this field.
          resolve: (m) => m.notify ?? false,
        }),
      }),
    });

  const BackoffRef = builder.objectRef<ServiceStatus['backoff']>('Backoff').implement({
    fields: (t) => ({ nextDelaySec: t.exposeFloat('nextDelaySec') }),
  });

  const RecommendedRef = builder
    .objectRef<ServiceStatus['recommendedAction']>('RecommendedAction')
    .implement({
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

  const ServiceRef = builder.objectRef<ServiceShape>('Service').implement({
    description: 'A supervised service: state, churn, guards and the recommended action.',
    fields: (t) => ({
      id: t.id({
        description: 'Stable and globally unique: `<node>/<name>` (the same on the agent and the fleet hub).',
        resolve: (s, _a, ctx) => `${nodeOf(s, ctx)}/${s.name}`,
      }),
      node: t.string({
        description: "The host running it (the agent's MEDIC_NODE_NAME, default its hostname).",
        resolve: (s, _a, ctx) => nodeOf(s, ctx),
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
        // `?? null`: a view shipped by an agent older than maintenance windows has no field.
        resolve: (s) => s.maintenance ?? null,
      }),
      backoff: t.field({ type: BackoffRef, resolve: (s) => s.backoff }),
      approvalPending: t.exposeBoolean('approvalPending', {
        description: 'True when approveRestart would be accepted now.',
      }),
      recommendedAction: t.field({ type: RecommendedRef, resolve: (s) => s.recommendedAction }),
      policy: t.field({ type: PolicyRef, resolve: (s) => s.policy }),
      lastDecision: t.field({ type: LastDecisionRef, nullable: true, resolve: (s) => s.lastDecision }),
    }),
  });
  return { ServiceRef };
});
