/**
 * Static query limits, checked during validation (before any resolver runs): depth and a simple
 * cost. Every field costs 1; a field with a `first` argument multiplies the cost of its children
 * by that page size (a variable counts as the maximum page, since variables are not known yet).
 * Introspection fields (`__schema`, `__type`) are not counted: introspection needs a token anyway.
 */
import {
  type FragmentDefinitionNode,
  Kind,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  /** Page size assumed for `first: $variable` and for a missing `first` on paged fields. */
  maxPage: number;
  defaultPage: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 12, maxCost: 25_000, maxPage: 500, defaultPage: 50 };

interface Measure {
  depth: number;
  cost: number;
}

function pageSize(value: ValueNode | undefined, limits: QueryLimits): number {
  if (!value) return limits.defaultPage;
  if (value.kind === Kind.INT) return Math.max(1, Number(value.value));
  return limits.maxPage;
}

export function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  limits: QueryLimits,
  seen: ReadonlySet<string> = new Set(),
): Measure {
  let depth = 0;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      let childDepth = 0;
      let childCost = 0;
      if (sel.selectionSet) {
        const child = measure(sel.selectionSet, fragments, limits, seen);
        const paged = sel.arguments?.find((a) => a.name.value === 'first');
        const multiplier = paged ? pageSize(paged.value, limits) : 1;
        childDepth = child.depth;
        childCost = child.cost * multiplier;
      }
      depth = Math.max(depth, 1 + childDepth);
      cost += 1 + childCost;
    } else {
      const name = sel.kind === Kind.FRAGMENT_SPREAD ? sel.name.value : null;
      if (name !== null && seen.has(name)) continue; // cycles are reported by NoFragmentCycles
      const target =
        sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : fragments.get(sel.name.value)?.selectionSet;
      if (!target) continue;
      const inner = measure(target, fragments, limits, name ? new Set([...seen, name]) : seen);
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
  }
  return { depth, cost };
}

/** A validation rule reporting QUERY_TOO_DEEP / QUERY_TOO_COSTLY per operation. */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_LIMITS): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const def of context.getDocument().definitions) {
        if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
      }
      const { depth, cost } = measure(node.selectionSet, fragments, limits);
      if (depth > limits.maxDepth) {
        context.reportError(
          createGraphQLError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
            nodes: [node],
            extensions: { code: 'QUERY_TOO_DEEP' },
          }),
        );
      }
      if (cost > limits.maxCost) {
        context.reportError(
          createGraphQLError(`query cost ${cost} exceeds the limit of ${limits.maxCost}`, {
            nodes: [node],
            extensions: { code: 'QUERY_TOO_COSTLY' },
          }),
        );
      }
    },
  });
}
