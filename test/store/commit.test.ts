import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/core/state.js';
import { StoreError } from '../../src/store/errors.js';
import { event, outcomeCommit, restartCommit, tempStore } from './helpers.js';

describe('commitDecision', () => {
  it('writes state, audit event and one intent per effect together', () => {
    const { store } = tempStore();
    const res = store.commitDecision(restartCommit(0));
    expect(res.version).toBe(1);
    expect(res.intents).toHaveLength(1);
    expect(res.intents[0]).toMatchObject({ service: 'api', eventId: res.event.id, decidedAt: 1_000 });
    const [svc] = store.loadServices();
    expect(svc).toMatchObject({
      name: 'api',
      unit: 'api.service',
      version: 1,
      policyHash: 'h1',
      updatedAt: 1_000,
    });
    expect(svc.state.tag).toBe('restarting');
    expect(store.getEvent(res.event.id)).toEqual(res.event);
    expect(store.openIntents()).toEqual(res.intents);
  });

  it('leaves nothing behind when the transaction throws after the commit', () => {
    const { store } = tempStore();
    expect(() =>
      store.transaction(() => {
        store.commitDecision(restartCommit(0));
        store.appendEvent(event({ kind: 'approval_requested' }));
        throw new Error('crash inside the transaction');
      }),
    ).toThrow('crash inside the transaction');
    expect(store.loadServices()).toEqual([]);
    expect(store.listEvents({}).events).toEqual([]);
    expect(store.openIntents()).toEqual([]);
  });

  it('refuses a commit based on a stale version and writes nothing of it', () => {
    const { store } = tempStore();
    store.commitDecision(restartCommit(0));
    const stale = () => store.commitDecision(restartCommit(0, 1_500));
    expect(stale).toThrow(StoreError);
    expect(stale).toThrow(/already stored/);
    expect(() => store.commitDecision(restartCommit(5, 1_500))).toThrow(/changed since version 5/);
    expect(store.listEvents({}).events).toHaveLength(1);
    expect(store.listIntents()).toHaveLength(1);
    expect(store.loadServices()[0].version).toBe(1);
  });

  it('closes the oldest open restart intent when a restart outcome is committed', () => {
    const { store } = tempStore();
    const a = store.commitDecision(restartCommit(0, 1_000));
    const b = store.commitDecision(restartCommit(1, 1_100));
    store.commitDecision(outcomeCommit(2, false, 1_200));
    expect(store.listIntents().map((i) => [i.id, i.outcome, i.completedAt])).toEqual([
      [a.intents[0].id, 'failed', 1_200],
      [b.intents[0].id, null, null],
    ]);
    store.commitDecision(outcomeCommit(3, true, 1_300));
    expect(store.openIntents()).toEqual([]);
    expect(store.listIntents()[1].outcome).toBe('succeeded');
  });

  it('records shadow-mode intents as already completed with outcome shadow', () => {
    const { store } = tempStore();
    const c = restartCommit(0);
    c.event.mode = 'shadow';
    const res = store.commitDecision(c);
    expect(res.intents).toHaveLength(1);
    expect(store.openIntents()).toEqual([]);
    expect(store.listIntents()[0]).toMatchObject({ outcome: 'shadow', completedAt: 1_000 });
  });

  it('completes an intent once and only once', () => {
    const { store } = tempStore();
    const { intents } = store.commitDecision(restartCommit(0));
    expect(store.completeIntent(intents[0].id, 'unknown_after_crash', 5)).toBe(true);
    expect(store.completeIntent(intents[0].id, 'succeeded', 6)).toBe(false);
    expect(store.listIntents()[0].outcome).toBe('unknown_after_crash');
  });

  it('keeps the holds table in step with hold_set, hold_released and hold_expired', () => {
    const { store } = tempStore();
    const held = (setAt: number, actor: string) => ({
      tag: 'held' as const,
      actor,
      reason: 'deploying',
      setAt,
      until: setAt + 60_000,
      circuit: null,
      failures: 0,
      churn: {
        window: [],
        totalRestarts: 0,
        blocked: {},
        circuitOpens: 0,
        lastRestartAt: null,
        backoffLevel: 0,
      },
    });
    const commit = (
      prev: number,
      at: number,
      decision: 'hold_set' | 'hold_released' | 'hold_expired',
      actor: string,
    ) =>
      store.commitDecision({
        service: 'api',
        unit: 'api.service',
        prev,
        next: decision === 'hold_set' ? held(at, actor) : initialState(),
        policyHash: null,
        effects: [],
        event: event({ at, kind: decision, decision, taken: true, actor }),
      });
    commit(0, 10, 'hold_set', 'alice');
    expect(store.activeHold('api')).toMatchObject({
      actor: 'alice',
      setAt: 10,
      until: 60_010,
      releasedAt: null,
    });
    commit(1, 20, 'hold_set', 'bob'); // renewal replaces the current hold
    commit(2, 30, 'hold_released', 'carol');
    expect(store.activeHold('api')).toBeNull();
    commit(3, 40, 'hold_set', 'dave');
    commit(4, 50, 'hold_expired', 'medic');
    expect(store.listHolds('api').map((h) => [h.actor, h.releasedAt, h.releasedBy])).toEqual([
      ['alice', 20, 'bob'],
      ['bob', 30, 'carol'],
      ['dave', 50, 'expired'],
    ]);
  });
});
