import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, EventKind } from '../../src/core/audit.js';
import { event, tempStore } from './helpers.js';

describe('audit log', () => {
  it('returns an appended event exactly as it was given, with a growing id', () => {
    const { store } = tempStore();
    const a = store.appendEvent(
      event({ kind: 'drift_detected', data: { findings: [{ field: 'ExecStart' }] }, actor: 'drift' }),
    );
    const b = store.appendEvent(event({ kind: 'access_denied', service: null, at: 2_000 }));
    expect(b.id).toBeGreaterThan(a.id);
    expect(store.getEvent(a.id)).toEqual(a);
    expect(store.getEvent(b.id)).toEqual(b);
  });

  it('offers no update or delete path, and the database refuses both', () => {
    const { store, path } = tempStore();
    const e = store.appendEvent(event());
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store));
    expect(methods.filter((m) => /^(update|delete|remove|edit)/i.test(m) && /event/i.test(m))).toEqual([]);
    const raw = new Database(path);
    expect(() => raw.prepare('UPDATE events SET reason = ? WHERE id = ?').run('x', e.id)).toThrow(
      /append-only/,
    );
    expect(() => raw.prepare('DELETE FROM events WHERE id = ?').run(e.id)).toThrow(/append-only/);
    raw.close();
    expect(store.getEvent(e.id)).toEqual(e);
  });

  it('pages through every matching event exactly once, in either order', () => {
    const kinds: EventKind[] = ['observation', 'restart_decided', 'hold_set'];
    const { store } = tempStore();
    const all: AuditEvent[] = [];
    for (let i = 0; i < 120; i++) {
      all.push(
        store.appendEvent(event({ at: i * 10, service: `svc${i % 3}`, kind: kinds[i % kinds.length] })),
      );
    }
    fc.assert(
      fc.property(
        fc.record({
          first: fc.integer({ min: 1, max: 40 }),
          order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
          service: fc.option(fc.constantFrom('svc0', 'svc1', 'svc2', 'other'), { nil: undefined }),
          kinds: fc.option(fc.subarray(kinds), { nil: undefined }),
          since: fc.option(fc.integer({ min: 0, max: 1300 }), { nil: undefined }),
        }),
        (q) => {
          const expected = all
            .filter((e) => q.service === undefined || e.service === q.service)
            .filter((e) => q.kinds === undefined || q.kinds.includes(e.kind))
            .filter((e) => q.since === undefined || e.at >= q.since);
          if (q.order === 'desc') expected.reverse();
          const seen: AuditEvent[] = [];
          let after: number | undefined;
          for (;;) {
            const page = store.listEvents({ ...q, after });
            expect(page.events.length).toBeLessThanOrEqual(q.first);
            seen.push(...page.events);
            if (!page.hasMore) break;
            expect(page.events).toHaveLength(q.first);
            after = page.events[page.events.length - 1].id;
          }
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('caps a page at 500 events and defaults to 50', () => {
    const { store } = tempStore();
    store.transaction(() => {
      for (let i = 0; i < 520; i++) store.appendEvent(event({ at: i }));
    });
    expect(store.listEvents({}).events).toHaveLength(50);
    const big = store.listEvents({ first: 10_000 });
    expect(big.events).toHaveLength(500);
    expect(big.hasMore).toBe(true);
  });

  it('finds the newest decision event of a service', () => {
    const { store } = tempStore();
    store.appendEvent(event({ decision: 'noop', kind: 'observation', at: 1 }));
    const d = store.appendEvent(event({ decision: 'restart', kind: 'restart_decided', at: 2 }));
    store.appendEvent(event({ kind: 'approval_requested', at: 3 }));
    store.appendEvent(event({ service: 'other', decision: 'noop', at: 4 }));
    expect(store.lastDecisionEvent('api')).toEqual(d);
    expect(store.lastDecisionEvent('nope')).toBeNull();
  });
});
