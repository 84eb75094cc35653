/**
 * `ServicePage`: one page of `servicePage(first, after, last, before, node, state)`,
 * keyset-paginated both ways: forward the cursor is the `id` (`node/name`) of the last service of
 * the previous page (`after`, the page's `endCursor`), backward the `id` of the first service of
 * the next page (`before`, its `startCursor`; `last` services). On the agent the order is the
 * contract's, at the hub (node, name).
 */
import { createGraphQLError } from 'graphql-yoga';
import { perBuilder } from './builder.js';
import { nodeOf, type ServiceShape, serviceTypes } from './service.js';

export interface ServicePageShape {
  services: ServiceShape[];
  hasNextPage: boolean;
  /** Services precede this page (backward: more before it; forward: it was asked `after` one). */
  hasPreviousPage?: boolean;
}

export const servicePageType = perBuilder((builder) => {
  const { ServiceRef } = serviceTypes(builder);
  return builder.objectRef<ServicePageShape>('ServicePage').implement({
    fields: (t) => ({
      nodes: t.field({ type: [ServiceRef], resolve: (p) => p.services }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.boolean({
        description:
          'Services precede this page: more before it (read with `before`), or it was read `after` one.',
        resolve: (p) => p.hasPreviousPage ?? false,
      }),
      startCursor: t.string({
        nullable: true,
        description: 'The `id` of the first service: pass it as `before` for the previous page.',
        resolve: (p, _a, ctx) => {
          const first = p.services[0];
          return first ? `${nodeOf(first, ctx)}/${first.name}` : null;
        },
      }),
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

const LAST = 'Backward: at most this many, the ones just before `before` (or the last of all).';
const BEFORE = "The `id` of the first service seen (the next page's startCursor): read the page before it.";

/** `servicePage`'s backward arguments (`last`, `before`), the same on the agent and the hub. */
export function backwardArgs<
  T extends {
    arg: { int: (o: { description: string }) => unknown; string: (o: { description: string }) => unknown };
  },
>(t: T) {
  return {
    last: t.arg.int({ description: LAST }) as ReturnType<T['arg']['int']>,
    before: t.arg.string({ description: BEFORE }) as ReturnType<T['arg']['string']>,
  };
}

/** `servicePage`'s (and `services`') arguments. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  node?: string | null;
  state?: string | null;
}

/**
 * A page's direction and size: backward with `last` (not with `first`/`after`), else forward with
 * `first` (null: every service). Out of 1..max, or mixed directions: a VALIDATION error.
 */
export function pageShape(a: PageArgs, first: number | null, max: number) {
  const backward = a.last !== null && a.last !== undefined;
  const invalid = (message: string) => createGraphQLError(message, { extensions: { code: 'VALIDATION' } });
  if (backward && (a.after || a.first)) throw invalid('last/before page backward: not with first/after');
  const size = backward ? a.last! : first;
  if (size !== null && (!Number.isInteger(size) || size < 1 || size > max))
    throw invalid(`${backward ? 'last' : 'first'} must be between 1 and ${max}`);
  return { backward, size };
}
