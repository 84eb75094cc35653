/**
 * `Event` (one audit event) and its cursor-paginated `EventConnection`, the same on the agent and
 * the hub. On the agent `id` is the event's id in its log; at the hub, which holds every node's
 * log, it is `node/id` (an agent's ids are unique only on that agent). `node` names the host.
 * Each side adds `serviceView` with `builder.objectField`.
 */
import { type AuditEvent, EVENT_KINDS } from '../../../core/audit.js';
import { DECISION_CODES, STATE_NAMES } from '../../../core/types.js';
import { perBuilder } from './builder.js';
import { enumTypes } from './enums.js';
import { nodeOf } from './service.js';

const KINDS = new Set<string>(EVENT_KINDS);
const DECISIONS = new Set<string>(DECISION_CODES);
const STATES = new Set<string>(STATE_NAMES);
/** A value this medic's enum has, else null (a newer agent's code, shipped to an older hub). */
const known = <T extends string>(set: Set<string>, v: T | null | undefined): T | null =>
  v != null && set.has(v) ? v : null;

/** An event as either schema resolves it (at the hub with its node). */
export type EventShape = AuditEvent & { node?: string };

export interface EventPage {
  edges: { cursor: string; node: EventShape }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

export const eventTypes = perBuilder((builder) => {
  const { DecisionCodeEnum, EventKindEnum, ModeEnum, ServiceStateEnum } = enumTypes(builder);

  const CountersRef = builder.objectRef<NonNullable<AuditEvent['counters']>>('CountersSnapshot').implement({
    fields: (t) => ({
      restartsInWindow: t.exposeInt('restartsInWindow'),
      totalRestarts: t.exposeInt('totalRestarts'),
      blockedAttempts: t.exposeInt('blockedAttempts'),
      circuitOpens: t.exposeInt('circuitOpens'),
    }),
  });

  type EffectShape = AuditEvent['effects'][number];
  const EffectRef = builder.objectRef<EffectShape>('Effect').implement({
    description: 'A side effect a decision asked for (restart or hard stop).',
    fields: (t) => ({
      type: t.string({ resolve: (e) => e.type }),
      initiator: t.string({ nullable: true, resolve: (e) => (e.type === 'restart' ? e.initiator : null) }),
      probe: t.boolean({ nullable: true, resolve: (e) => (e.type === 'restart' ? e.probe : null) }),
      reason: t.string({ nullable: true, resolve: (e) => (e.type === 'stop' ? e.reason : null) }),
    }),
  });

  const EventRef = builder.objectRef<EventShape>('Event').implement({
    description: 'One audit event: a decision (taken or blocked) or a record such as drift or access denied.',
    fields: (t) => ({
      id: t.id({
        description: "The event's id in its agent's log; at the hub `node/id`.",
        resolve: (e) => (e.node === undefined ? String(e.id) : `${e.node}/${e.id}`),
      }),
      node: t.string({
        description: 'The host whose log holds it.',
        resolve: (e, _a, ctx) => nodeOf(e, ctx),
      }),
      at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
      service: t.exposeString('service', { nullable: true }),
      // A newer agent's kind, decision or state must not break every query that reads its event.
      kind: t.field({ type: EventKindEnum, resolve: (e) => (KINDS.has(e.kind) ? e.kind : 'other') }),
      kindName: t.string({
        description: 'The kind as recorded, also when `kind` is `other`.',
        resolve: (e) => e.kind,
      }),
      decision: t.field({
        type: DecisionCodeEnum,
        nullable: true,
        resolve: (e) => known(DECISIONS, e.decision),
      }),
      taken: t.boolean({ nullable: true, resolve: (e) => e.taken ?? null }),
      actor: t.string({ nullable: true, resolve: (e) => e.actor ?? null }),
      reason: t.string({ nullable: true, resolve: (e) => e.reason ?? null }),
      stateFrom: t.field({
        type: ServiceStateEnum,
        nullable: true,
        resolve: (e) => known(STATES, e.stateFrom),
      }),
      stateTo: t.field({ type: ServiceStateEnum, nullable: true, resolve: (e) => known(STATES, e.stateTo) }),
      counters: t.field({ type: CountersRef, nullable: true, resolve: (e) => e.counters ?? null }),
      effects: t.field({ type: [EffectRef], resolve: (e) => e.effects ?? [] }),
      mode: t.field({ type: ModeEnum, nullable: true, resolve: (e) => e.mode ?? null }),
      input: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.input ?? null }),
      data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data ?? null }),
    }),
  });

  const EdgeRef = builder.objectRef<EventPage['edges'][number]>('EventEdge').implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: EventRef, resolve: (e) => e.node }),
    }),
  });

  const PageInfoRef = builder.objectRef<EventPage['pageInfo']>('PageInfo').implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
      startCursor: t.exposeString('startCursor', { nullable: true }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

  const EventConnectionRef = builder.objectRef<EventPage>('EventConnection').implement({
    fields: (t) => ({
      edges: t.field({ type: [EdgeRef], resolve: (p) => p.edges }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
    }),
  });
  return { EventRef, EventConnectionRef };
});
