import { describe, expect, it } from 'vitest';
import type { AuditEvent, NewEvent } from '../../src/core/audit.js';
import { FAIL3, feed, rig } from './helpers.js';

/** A policy_applied event as another writer (the CLI) commits it: straight into the store. */
const foreign = (at: number): NewEvent => ({
  at,
  service: null,
  kind: 'policy_applied',
  decision: null,
  taken: null,
  input: null,
  actor: 'alice',
  reason: 'tighten',
  stateFrom: null,
  stateTo: null,
  counters: null,
  effects: [],
  mode: null,
  data: { version: 2 },
});

describe('engine.relay', () => {
  it('publishes an event committed elsewhere once, with the same log line as its own events', async () => {
    const r = await rig();
    const got: AuditEvent[] = [];
    r.engine.subscribe((e) => got.push(e));
    const event = r.store.appendEvent(foreign(r.clock.now()));
    r.engine.relay(event);
    expect(got).toEqual([event]);
    expect(r.logs.filter((l) => l.eventId === event.id)).toMatchObject([
      { kind: 'policy_applied', actor: 'alice', reason: 'tighten' },
    ]);
  });

  it('relaying the same id again publishes and logs nothing more', async () => {
    const r = await rig();
    const got: number[] = [];
    r.engine.subscribe((e) => got.push(e.id));
    const event = r.store.appendEvent(foreign(r.clock.now()));
    r.engine.relay(event);
    r.engine.relay(event);
    r.engine.relay(r.store.getEvent(event.id)!);
    expect(got).toEqual([event.id]);
    expect(r.logs.filter((l) => l.eventId === event.id)).toHaveLength(1);
  });

  it('ignores events the engine committed and published itself', async () => {
    const r = await rig();
    await feed(r, 'api', [...FAIL3]);
    const own = r.store.listEvents({ first: 500 }).events;
    const got: number[] = [];
    r.engine.subscribe((e) => got.push(e.id));
    for (const e of own) r.engine.relay(e);
    expect(got).toEqual([]);
  });

  it('relays an event that was committed before newer engine events (ids out of order)', async () => {
    const r = await rig();
    const event = r.store.appendEvent(foreign(r.clock.now()));
    await feed(r, 'api', [...FAIL3]);
    const got: number[] = [];
    r.engine.subscribe((e) => got.push(e.id));
    r.engine.relay(event);
    r.engine.relay(event);
    expect(got).toEqual([event.id]);
  });
});
