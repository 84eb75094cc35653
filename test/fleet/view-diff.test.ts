/**
 * The shipper's view diff (src/agent/view-diff.ts), by property: whatever the hub confirmed and
 * whatever the views are now, applying what is sent to a hub holding the confirmed views leaves
 * the hub with exactly the current view of every current service; a view equal to its confirmed
 * text is never sent; with nothing confirmed (null) every view is sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { viewsToShip, viewTexts } from '../../src/agent/view-diff.js';

const name = fc.constantFrom('web', 'db', 'api', 'cache', 'queue', 'worker');
const views = fc.uniqueArray(
  fc.record({
    name,
    state: fc.record({ tag: fc.constantFrom('healthy', 'cooldown', 'held') }),
    n: fc.nat(3),
  }),
  { selector: (v) => v.name, maxLength: 6 },
);

describe('which views a batch carries', () => {
  it('brings a hub holding the confirmed views to the current ones, sending no unchanged view', () => {
    fc.assert(
      fc.property(views, fc.option(views, { nil: null }), (now, before) => {
        const current = viewTexts(now);
        const confirmed = before === null ? null : viewTexts(before);
        const sent = viewsToShip(current, confirmed);
        // The hub: the confirmed views (plus nothing else of these names), then the sent ones upserted.
        const hub = new Map(confirmed ?? []);
        for (const text of sent) hub.set((JSON.parse(text) as { name: string }).name, text);
        for (const [n, text] of current) expect(hub.get(n)).toBe(text);
        for (const text of sent) {
          const n = (JSON.parse(text) as { name: string }).name;
          expect(confirmed?.get(n)).not.toBe(text);
        }
        if (confirmed === null) expect(sent.length).toBe(current.size);
      }),
    );
  });

  it('sends nothing when nothing changed', () => {
    const v = [{ name: 'web', state: { tag: 'healthy' } }];
    expect(viewsToShip(viewTexts(v), viewTexts(v))).toEqual([]);
  });
});
