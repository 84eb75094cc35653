import fc from 'fast-check';
import { Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, measure } from '../../src/api/http/limits.js';

/** A random selection tree: each node is a field with optional `first` and children. */
interface Node {
  first: number | null;
  children: Node[];
}
const first = fc.option(fc.integer({ min: 1, max: 500 }), { nil: null });
const treeOf = (depth: number): fc.Arbitrary<Node> =>
  fc.record({
    first,
    children: depth === 0 ? fc.constant([]) : fc.array(treeOf(depth - 1), { maxLength: 3 }),
  });
const tree = treeOf(5);

const render = (n: Node, i = 0): string =>
  `f${i}${n.first ? `(first: ${n.first})` : ''}${n.children.length ? ` { ${n.children.map((c, j) => render(c, j)).join(' ')} }` : ''}`;
const depthOf = (n: Node): number => 1 + Math.max(0, ...n.children.map(depthOf));
const costOf = (n: Node): number => {
  const inner = n.children.reduce((sum, c) => sum + costOf(c), 0);
  return 1 + inner * (n.children.length && n.first ? n.first : 1);
};

function measured(query: string) {
  const doc = parse(query);
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(
    doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  if (op?.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
  return measure(op.selectionSet, fragments, DEFAULT_LIMITS);
}

describe('query depth and cost', () => {
  it('measures depth as the longest field path and cost as fields multiplied by page sizes', () => {
    fc.assert(
      fc.property(tree, (root) => {
        expect(measured(`{ ${render(root)} }`)).toEqual({ depth: depthOf(root), cost: costOf(root) });
      }),
      { numRuns: 2000 },
    );
  });

  it('counts a fragment like the fields it spreads, and a variable page size as the maximum page', () => {
    fc.assert(
      fc.property(tree, (root) => {
        const inline = measured(`{ a { ${render(root)} } }`);
        const viaFragment = measured(`{ a { ...F } } fragment F on T { ${render(root)} }`);
        expect(viaFragment).toEqual(inline);
      }),
      { numRuns: 1000 },
    );
    expect(measured('query($n: Int) { e(first: $n) { x y } }').cost).toBe(1 + 2 * DEFAULT_LIMITS.maxPage);
    expect(measured('{ e { x y } }').cost).toBe(3);
  });
});
