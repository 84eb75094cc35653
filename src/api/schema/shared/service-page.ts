/**
 * `ServicePage`: one page of `servicePage(first, after, node, state)`, keyset-paginated; the
 * cursor is the `id` (`node/name`) of the last service of the previous page. On the agent the
 * order is the contract's, at the hub (node, name).
 */
import { perBuilder } from './builder.js';
import { nodeOf, type ServiceShape, serviceTypes } from './service.js';

export interface ServicePageShape {
  services: ServiceShape[];
  hasNextPage: boolean;
}

export const servicePageType = perBuilder((builder) => {
  const { ServiceRef } = serviceTypes(builder);
  return builder.objectRef<ServicePageShape>('ServicePage').implement({
    fields: (t) => ({
      nodes: t.field({ type: [ServiceRef], resolve: (p) => p.services }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.string({
        nullable: true,
        description: 'The `id` of the last service: pass it as `after` for the next page.',
        resolve: (p, _a, ctx) => {
          const last = p.services.at(-1);
          return last ? `${nodeOf(last, ctx)}/${last.name}` : null;
        },
      }),
    }),
  });
});
