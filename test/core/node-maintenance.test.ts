/**
 * A dark node inside a maintenance window (core/node-maintenance.ts, node-escalation.ts): the
 * window is the node's only when every shipped service is inside one that has not ended; notify
 * wins when any window asks for it; paging is suppressed without notify and marked with it. A
 * window's end is read as agents ship it (epoch ms, their ServiceView) or as ISO.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeEscalationStep } from '../../src/core/node-escalation.js';
import { nodeWindow, type ViewMaintenance } from '../../src/core/node-maintenance.js';

const NOW = Date.UTC(2026, 10, 30, 12);

const end = (w: ViewMaintenance) => (typeof w.endsAt === 'number' ? w.endsAt : Date.parse(w.endsAt));

const windowArb: fc.Arbitrary<ViewMaintenance | null> = fc.option(
  fc.record({
    id: fc.constantFrom('contract:a', 'adhoc:7'),
    name: fc.constantFrom('a', 'b'),
    mode: fc.constantFrom('hold' as const, 'shadow' as const),
    // Agents ship their ServiceView (epoch ms); the ServiceStatus projection says ISO: both are read.
    endsAt: fc
      .tuple(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.boolean())
      .map(([d, iso]) => (iso ? new Date(NOW + d).toISOString() : NOW + d)),
    notify: fc.boolean(),
  }),
  { nil: null },
);

describe('nodeWindow', () => {
  it('covers a node only when every service is in a window not yet ended; notify if any notifies', () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 6 }), (views) => {
        const mark = nodeWindow(views, NOW);
        const live = views.filter((w): w is ViewMaintenance => w !== null && end(w) > NOW);
        if (views.length === 0 || live.length < views.length) {
          expect(mark).toBeNull();
          return;
        }
        const first = Math.min(...live.map(end));
        expect(mark).not.toBeNull();
        expect(live.some((w) => w.id === mark!.id && end(w) === first)).toBe(true);
        expect(mark!.notify).toBe(live.some((w) => w.notify === true));
      }),
    );
  });
});

describe('nodeEscalationStep in a maintenance window', () => {
  const down = (maintenance?: object) => ({
    kind: 'node_down',
    node: 'n1',
    at: NOW,
    data: { silentForMs: 31_000, ...(maintenance ? { maintenance } : {}) },
  });
  const mark = (notify: boolean) => ({ id: 'contract:a', name: 'a', mode: 'hold', notify });

  it('pages nothing without notify, pages marked with it, and as before outside a window', () => {
    expect(nodeEscalationStep(down(mark(false)))).toBeNull();
    expect(nodeEscalationStep(down(mark(true)))).toMatchObject({
      action: 'trigger',
      summary: expect.stringMatching(/^\[maintenance a, hold\] medic on n1 stopped reporting/),
    });
    expect(nodeEscalationStep(down())).toMatchObject({
      action: 'trigger',
      summary: expect.stringMatching(/^medic on n1 stopped reporting/),
    });
  });
});
