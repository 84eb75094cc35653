/**
 * Audit events and the cursor-paginated `events` query (a Relay connection; types in
 * shared/event.ts). Cursors are opaque base64url strings of the event id; pages are newest first
 * unless `order: asc`.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { EventKind } from '../../../core/audit.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { isLocal } from '../service-id.js';
import { type EventPage, eventTypes } from '../shared/event.js';
import { EventKindEnum, EventOrderEnum } from './enums.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export const { EventRef, EventConnectionRef } = eventTypes(builder);

export const encodeCursor = (id: number): string => Buffer.from(`event:${id}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const match = /^event:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw createGraphQLError('invalid cursor', { extensions: { code: 'VALIDATION' } });
  return Number(match[1]);
}

export interface PageArgs {
  service?: string | null;
  /** `other` (a kind this medic does not know) matches nothing in this medic's own log. */
  kinds?: readonly (EventKind | 'other')[] | null;
  since?: number | null;
  first?: number | null;
  after?: string | null;
  order?: 'asc' | 'desc' | null;
}

const EMPTY: EventPage = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

/** One page of the audit log (the store reports whether more follow). */
export function eventPage(ctx: ApiContext, args: PageArgs): EventPage {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw createGraphQLError(`first must be between 1 and ${MAX_PAGE}`, {
      extensions: { code: 'VALIDATION' },
    });
  }
  const kinds = args.kinds?.filter((k): k is EventKind => k !== 'other');
  if (args.kinds && args.kinds.length > 0 && kinds?.length === 0) return EMPTY;
  const { events, hasMore } = ctx.store.listEvents({
    service: args.service ?? undefined,
    kinds: kinds && kinds.length > 0 ? kinds : undefined,
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
      node: t.arg.string({ description: 'This host (MEDIC_NODE_NAME); another node has no events here.' }),
      service: t.arg.string(),
      kinds: t.arg({ type: [EventKindEnum] }),
      since: t.arg({ type: 'DateTime' }),
      first: t.arg.int({ description: `Page size (default ${DEFAULT_PAGE}, max ${MAX_PAGE}).` }),
      after: t.arg.string({ description: 'Cursor of the last edge seen.' }),
      order: t.arg({ type: EventOrderEnum, description: 'desc (newest first, default) or asc.' }),
    },
    resolve: (_root, args, ctx) => (isLocal(ctx, args.node) ? eventPage(ctx, args) : EMPTY),
  }),
);
