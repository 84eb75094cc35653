/**
 * The hub shipper's read (src/store/shipped-events.ts): SQLite builds the events' JSON itself
 * (UTF-8 bytes), and what it builds must parse to exactly the events listEvents returns — any field, any value
 * the log can hold (null, booleans, nested JSON, unicode, quotes), for any cursor and page size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/core/audit.js';
import { tempStore } from './helpers.js';

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const json = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

/** Any event the log can hold (the columns' types, not the domain's: the read must not care). */
const anyEvent: fc.Arbitrary<NewEvent> = fc.record({
  at: fc.integer({ min: 0, max: 2 ** 48 }),
  service: maybe(text),
  kind: fc.constantFrom('restart_decided', 'observation', 'hold_set', 'drift_detected'),
  decision: maybe(fc.constantFrom('restart', 'skip_cooldown')),
  taken: maybe(fc.boolean()),
  input: maybe(fc.record({ type: fc.constant('probe_failed'), detail: text })),
  actor: maybe(text),
  reason: maybe(text),
  stateFrom: maybe(fc.constantFrom('healthy', 'cooldown')),
  stateTo: maybe(fc.constantFrom('healthy', 'restarting')),
  counters: maybe(fc.dictionary(text, fc.integer())),
  effects: fc.array(fc.record({ type: fc.constant('restart'), initiator: text, probe: fc.boolean() }), {
    maxLength: 2,
  }),
  mode: maybe(fc.constantFrom('enforce', 'shadow')),
  data: maybe(fc.dictionary(text, json, { maxKeys: 4 })),
}) as fc.Arbitrary<NewEvent>;

describe('the events as shipped to the hub', () => {
  it('parse to exactly the events listEvents returns, page by page', () => {
    fc.assert(
      fc.property(
        fc.array(anyEvent, { minLength: 0, maxLength: 25 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        (events, after, first) => {
          const { store } = tempStore();
          for (const e of events) store.appendEvent(e);
          const shipped = store.shippedEventsAfter(after, first);
          const listed = store.listEvents({ after, first, order: 'asc' }).events;
          expect(JSON.parse(shipped.json.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(listed)));
          expect(shipped.count).toBe(listed.length);
          expect(shipped.last).toBe(listed.at(-1)?.id ?? null);
          store.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is an empty array after the newest event', () => {
    const { store } = tempStore();
    const none = store.shippedEventsAfter(0, 10);
    expect({ ...none, json: none.json.toString('utf8') }).toEqual({ json: '[]', count: 0, last: null });
  });
});
