/**
 * The hub's reading of a node's shipped maintenance windows (src/hub/maintenance.ts windowsAsOf),
 * judged on the hub's clock: `active` is from ≤ now < until whatever the agent said when it
 * shipped; an ad hoc window past its end is left out (as its agent would); a contract window keeps
 * the last span shipped (not active once over); the node is the row's; a row of another shape
 * answers nothing instead of breaking the query.
 */
import { describe, expect, it } from 'vitest';
import { windowsAsOf } from '../../src/hub/maintenance.js';

const T = Date.parse('2026-12-01T02:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const window = (over: Record<string, unknown>) => ({
  id: 'adhoc:1',
  node: 'node-b',
  name: 'adhoc-1',
  source: 'adhoc',
  services: ['web'],
  mode: 'hold',
  notify: false,
  reason: 'db',
  actor: 'hub:alice',
  schedule: null,
  timezone: null,
  from: iso(T),
  until: iso(T + 3600_000),
  active: false,
  ...over,
});

describe('windowsAsOf: shipped windows on the hub clock', () => {
  it('judges active on the hub clock, not as shipped', () => {
    expect(windowsAsOf('node-b', [window({ active: false })], T + 1).map((w) => w.active)).toEqual([true]);
    expect(windowsAsOf('node-b', [window({ active: true })], T - 1).map((w) => w.active)).toEqual([false]);
  });

  it('leaves out an ad hoc window past its end, keeps a contract span as last shipped (not active)', () => {
    const contract = window({ id: 'contract:weekly', source: 'contract', schedule: 'sun 02:00-04:00' });
    const after = windowsAsOf('node-b', [window({}), contract], T + 3600_000);
    expect(after.map((w) => [w.id, w.active])).toEqual([['contract:weekly', false]]);
  });

  it("names the row's node, and answers nothing for a row of another shape", () => {
    expect(windowsAsOf('node-x', [window({ node: 'node-b' })], T)[0]?.node).toBe('node-x');
    expect(windowsAsOf('node-b', null, T)).toEqual([]);
    expect(windowsAsOf('node-b', [{ id: 1 }], T)).toEqual([]);
    expect(windowsAsOf('node-b', { not: 'a list' }, T)).toEqual([]);
  });
});
