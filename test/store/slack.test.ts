import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite.js';
import type { SlackIncidentRecord } from '../../src/store/types.js';
import { tempStore, trackStore } from './helpers.js';

const incident = (over: Partial<SlackIncidentRecord> = {}): SlackIncidentRecord => ({
  key: 'api#7',
  slot: 'api',
  service: 'api',
  channel: 'C0INCIDENTS',
  ts: '1700000000.000100',
  openedAt: 1_000,
  closedAt: null,
  lastEventId: 7,
  data: { kind: 'circuit_opened', status: ['Circuit opened at 10:00'] },
  ...over,
});

describe('slack incidents', () => {
  it('returns open incidents, updated in place by key, and survives reopening the file', () => {
    const { store, path } = tempStore();
    store.upsertSlackIncident(incident());
    store.upsertSlackIncident(incident({ key: 'drift:contract#9', slot: 'drift:contract', service: null }));
    store.upsertSlackIncident(
      incident({ lastEventId: 12, data: { kind: 'circuit_opened', status: ['a', 'b'] } }),
    );
    store.close();
    const again = trackStore(openStore(path));
    const open = again.openSlackIncidents();
    expect(open.map((i) => i.key).sort()).toEqual(['api#7', 'drift:contract#9']);
    const api = open.find((i) => i.key === 'api#7');
    expect(api).toMatchObject({ lastEventId: 12, ts: '1700000000.000100', closedAt: null });
    expect(api?.data).toEqual({ kind: 'circuit_opened', status: ['a', 'b'] });
  });

  it('closes an open incident once and no longer lists it', () => {
    const { store } = tempStore();
    store.upsertSlackIncident(incident());
    expect(store.closeSlackIncident('api#7', 5_000)).toBe(true);
    expect(store.closeSlackIncident('api#7', 6_000)).toBe(false);
    expect(store.closeSlackIncident('unknown#1', 6_000)).toBe(false);
    expect(store.openSlackIncidents()).toEqual([]);
  });

  it('stores an incident upserted as closed without listing it as open', () => {
    const { store } = tempStore();
    store.upsertSlackIncident(incident({ closedAt: 9_000 }));
    expect(store.openSlackIncidents()).toEqual([]);
  });
});

describe('event cursors', () => {
  it('is null until set and never moves backwards', () => {
    const { store } = tempStore();
    expect(store.eventCursor('slack')).toBeNull();
    expect(store.advanceEventCursor('slack', 10, 1)).toBe(10);
    expect(store.advanceEventCursor('slack', 4, 2)).toBe(10);
    expect(store.advanceEventCursor('slack', 0, 3)).toBe(10);
    expect(store.advanceEventCursor('slack', 11, 4)).toBe(11);
    expect(store.eventCursor('slack')).toBe(11);
    expect(store.eventCursor('other')).toBeNull();
  });
});
