/**
 * Audit events and the cursor-paginated `events` query (a Relay connection). Cursors are opaque
 * base64url strings of the event id; pages are newest first unless `order: asc`.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { AuditEvent, EventKind } from '../../../core/audit.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { DecisionCodeEnum, EventKindEnum, EventOrderEnum, ModeEnum, ServiceStateEnum } from './enums.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export const encodeCursor = (id: number): string => Buffer.from(`event:${id}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const match = /^event:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw createGraphQLError('invalid cursor', { extensions: { code: 'VALIDATION' } });
  return Number(match[1]);
}

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

export const EventRef = builder.objectRef<AuditEvent>('Event').implement({
  description: 'One audit event: a decision (taken or blocked) or a record such as drift or access denied.',
  fields: (t) => ({
    id: t.id({ resolve: (e) => String(e.id) }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    service: t.exposeString('service', { nullable: true }),
    kind: t.field({ type: EventKindEnum, resolve: (e) => e.kind }),
    decision: t.field({ type: DecisionCodeEnum, nullable: true, resolve: (e) => e.decision }),
    taken: t.exposeBoolean('taken', { nullable: true }),
    actor: t.exposeString('actor', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
    stateFrom: t.field({ type: ServiceStateEnum, nullable: true, resolve: (e) => e.stateFrom }),
    stateTo: t.field({ type: ServiceStateEnum, nullable: true, resolve: (e) => e.stateTo }),
    counters: t.field({ type: CountersRef, nullable: true, resolve: (e) => e.counters }),
    effects: t.field({ type: [EffectRef], resolve: (e) => e.effects }),
    mode: t.field({ type: ModeEnum, nullable: true, resolve: (e) => e.mode }),
    input: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.input }),
    data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data }),
  }),
});

interface Page {
  edges: { cursor: string; node: AuditEvent }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const EdgeRef = builder.objectRef<Page['edges'][number]>('EventEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: EventRef, resolve: (e) => e.node }),
  }),
});

const PageInfoRef = builder.objectRef<Page['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

export const EventConnectionRef = builder.objectRef<Page>('EventConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [EdgeRef], resolve: (p) => p.edges }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
  }),
});

export interface PageArgs {
  service?: string | null;
  kinds?: readonly EventKind[] | null;
  since?: number | null;
  first?: number | null;
  after?: string | null;
  order?: 'asc' | 'desc' | null;
}

/** One page of the audit log (the store reports whether more follow). */
export function eventPage(ctx: ApiContext, args: PageArgs): Page {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw createGraphQLError(`first must be between 1 and ${MAX_PAGE}`, {
      extensions: { code: 'VALIDATION' },
    });
  }
  const { events, hasMore } = ctx.store.listEvents({
    service: args.service ?? undefined,
    kinds: args.kinds && args.kinds.length > 0 ? [...args.kinds] : undefined,
    since: args.since ?? undefined,
    first,
    after: args.after ? decodeCursor(args.after) : undefined,
    order: args.order ?? 'desc',
  });
  const edges = events.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: hasMore,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

builder.queryField('events', (t) =>
  t.field({
    type: EventConnectionRef,
    description: 'The audit log, cursor-paginated.',
    args: {
      service: t.arg.string(),
      kinds: t.arg({ type: [EventKindEnum] }),
      since: t.arg({ type: 'DateTime' }),
      first: t.arg.int({ description: `Page size (default ${DEFAULT_PAGE}, max ${MAX_PAGE}).` }),
      after: t.arg.string({ description: 'Cursor of the last edge seen.' }),
      order: t.arg({ type: EventOrderEnum, description: 'desc (newest first, default) or asc.' }),
    },
    resolve: (_root, args, ctx) => eventPage(ctx, args),
  }),
);
