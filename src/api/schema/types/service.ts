/**
 * The agent's `Service` (shared/service.ts, the same type as the hub's) with its `events`, and
 * the queries `services(first, after, node, state)` (a list), `servicePage(...)` (a page with a
 * cursor) and `service(name, node)`. `node` addresses this host (MEDIC_NODE_NAME): another node's
 * name finds nothing here, so one query works on the agent and on the hub.
 */
import { createGraphQLError } from 'graphql-yoga';
import { projectService, type ServiceStatus } from '../../../core/status.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { isLocal, localNode } from '../service-id.js';
import { serviceTypes } from '../shared/service.js';
import {
  backwardArgs,
  type PageArgs,
  pageShape,
  type ServicePageShape,
  servicePageType,
} from '../shared/service-page.js';
import { EventKindEnum, EventOrderEnum, ServiceStateEnum } from './enums.js';
import { EventConnectionRef, eventPage } from './event.js';

export const { ServiceRef } = serviceTypes(builder);
const ServicePageRef = servicePageType(builder);

builder.objectField(ServiceRef, 'events', (t) =>
  t.field({
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
);

/** The projection of one service now, or null when the engine does not know it. */
export function serviceStatus(ctx: ApiContext, name: string): ServiceStatus | null {
  const view = ctx.engine.view(name);
  return view ? projectService(view, ctx.publicUrl) : null;
}

export const MAX_SERVICE_PAGE = 500;
const DEFAULT_SERVICE_PAGE = 100;

/**
 * Services in the contract's order after the cursor `after` (an `id`), at most `first`; or,
 * backward, the `last` ones before the cursor `before` (before none: the last of all).
 */
function listServices(ctx: ApiContext, a: PageArgs, first: number | null): ServicePageShape {
  const { backward, size } = pageShape(a, first, MAX_SERVICE_PAGE);
  if (!isLocal(ctx, a.node)) return { services: [], hasNextPage: false };
  let views = ctx.engine.views();
  const at = (cursor: string, arg: string) => {
    const i = views.findIndex((v) => `${localNode(ctx)}/${v.name}` === cursor);
    if (i < 0)
      throw createGraphQLError(`${arg}: no service with id '${cursor}' here`, {
        extensions: { code: 'VALIDATION' },
      });
    return i;
  };
  if (a.after) views = views.slice(at(a.after, 'after') + 1);
  if (a.before) views = views.slice(0, at(a.before, 'before'));
  if (a.state) views = views.filter((v) => v.state.tag === a.state);
  const page = size === null ? views : backward ? views.slice(-size) : views.slice(0, size);
  return {
    services: page.map((v) => projectService(v, ctx.publicUrl)),
    hasNextPage: backward ? Boolean(a.before) : page.length < views.length,
    hasPreviousPage: backward ? page.length < views.length : Boolean(a.after),
  };
}

builder.queryFields((t) => {
  const args = {
    first: t.arg.int({
      description: `At most this many (1..${MAX_SERVICE_PAGE}); on an agent every service by default.`,
    }),
    after: t.arg.string({ description: 'The `id` of the last service seen (the previous endCursor).' }),
    node: t.arg.string({ description: 'Only this node (on an agent: its own name, or nothing).' }),
    state: t.arg({ type: ServiceStateEnum }),
  };
  return {
    services: t.field({
      type: [ServiceRef],
      args,
      resolve: (_root, a, ctx) => listServices(ctx, a, a.first ?? null).services,
    }),
    servicePage: t.field({
      type: ServicePageRef,
      description: `Services one page at a time (default ${DEFAULT_SERVICE_PAGE}); endCursor is the last \`id\`.`,
      args: { ...args, ...backwardArgs(t) },
      resolve: (_root, a, ctx) => listServices(ctx, a, a.first ?? DEFAULT_SERVICE_PAGE),
    }),
    servicesByIds: t.field({
      type: [ServiceRef],
      description: `The services with these ids (\`node/name\`; at most ${MAX_SERVICE_PAGE}), in that order; unknown ids left out.`,
      args: { ids: t.arg.stringList({ required: true }) },
      resolve: (_root, { ids }, ctx) => {
        if (ids.length > MAX_SERVICE_PAGE)
          throw createGraphQLError(`ids: at most ${MAX_SERVICE_PAGE}`, {
            extensions: { code: 'VALIDATION' },
          });
        const mine = `${localNode(ctx)}/`;
        return ids.flatMap((id) =>
          id.startsWith(mine) ? (serviceStatus(ctx, id.slice(mine.length)) ?? []) : [],
        );
      },
    }),
    service: t.field({
      type: ServiceRef,
      nullable: true,
      args: {
        name: t.arg.string({ required: true }),
        node: t.arg.string({ description: 'This host; another node answers null here.' }),
      },
      resolve: (_root, { name, node }, ctx) => (isLocal(ctx, node) ? serviceStatus(ctx, name) : null),
    }),
  };
});
