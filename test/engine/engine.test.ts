import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { initialState } from '../../src/core/state.js';
import type { Input, ServiceState } from '../../src/core/types.js';
import { FAIL3, feed, policy, rig } from './helpers.js';

describe('engine', () => {
  it('commits the decision and its intent before the executor runs the restart', async () => {
    const r = await rig();
    const seen: unknown[] = [];
    r.executor.during = () => {
      // A separate connection sees only what was committed.
      const db = new Database(r.path, { readonly: true });
      seen.push({
        state: JSON.parse(
          db.prepare("SELECT state FROM service_state WHERE service = 'api'").pluck().get() as string,
        ).tag,
        open: db.prepare('SELECT count(*) FROM intents WHERE outcome IS NULL').pluck().get(),
        decision: db.prepare('SELECT decision FROM events ORDER BY id DESC LIMIT 1').pluck().get(),
      });
      db.close();
    };
    await feed(r, 'api', [...FAIL3]);
    expect(r.executor.calls).toEqual([
      { service: 'api', effect: { type: 'restart', initiator: 'auto', probe: false } },
    ]);
    expect(seen).toEqual([{ state: 'restarting', open: 1, decision: 'restart' }]);
    // The outcome came back through decide() and closed the intent.
    const last = r.store.listEvents({ order: 'desc', first: 1 }).events[0];
    expect(last).toMatchObject({ decision: 'restart_succeeded', input: { type: 'restart_succeeded' } });
    expect(last.data).toMatchObject({ source: 'executor' });
    expect(r.store.listIntents()).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it('feeds an executor failure (thrown or reported) back as restart_failed', async () => {
    const r = await rig();
    r.executor.result = () => {
      throw new Error('systemctl exploded');
    };
    await feed(r, 'api', [...FAIL3]);
    const last = r.store.listEvents({ order: 'desc', first: 1 }).events[0];
    expect(last.input).toEqual({ type: 'restart_failed', detail: 'systemctl exploded' });
    expect(r.store.listIntents()).toMatchObject([{ outcome: 'failed' }]);
  });

  it('executes nothing in shadow mode and records the intents as shadow', async () => {
    const r = await rig([{ name: 'api', unit: 'api.service', policy: policy({ mode: 'shadow' }) }]);
    await feed(r, 'api', [...FAIL3, { type: 'force_restart', actor: 'alice', reason: 'test' }]);
    expect(r.executor.calls).toEqual([]);
    const intents = r.store.listIntents();
    expect(intents.length).toBeGreaterThan(0);
    expect(intents.every((i) => i.outcome === 'shadow')).toBe(true);
    const restart = r.store.listEvents({ kinds: ['restart_decided'] }).events[0];
    expect(restart.mode).toBe('shadow');
    expect(
      r.logs.some(
        (l) => l.decision === 'restart' && l.note === 'shadow mode: effects recorded, not executed',
      ),
    ).toBe(true);
  });

  it('rebuilds the same state, counters and last decision after a reopen', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: policy() },
      { name: 'worker', unit: 'worker.service', policy: policy() },
    ]);
    await feed(r, 'api', [...FAIL3, { type: 'probe_ok' }, ...FAIL3]);
    await feed(r, 'worker', [{ type: 'hold', ttlSec: 600, actor: 'bob', reason: 'deploy' }]);
    const before = r.engine.views();
    const r2 = await r.reopen();
    expect(r2.engine.views()).toEqual(before);
    expect(r2.executor.calls).toEqual([]); // nothing re-executed on start
  });

  it('decides the inputs of one service strictly in submission order', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: policy() },
      { name: 'db', unit: 'db.service', policy: policy() },
    ]);
    const inputs: Input[] = [];
    for (let i = 0; i < 60; i++)
      inputs.push(i % 7 === 0 ? { type: 'probe_ok' } : { type: 'probe_failed', detail: `n${i}` });
    // Fire everything at once, interleaving two services; nothing awaited in between.
    const pending = inputs.flatMap((input) => [r.engine.submit('api', input), r.engine.submit('db', input)]);
    const committed = await Promise.all(pending);
    await r.engine.idle();
    for (const [k, service] of ['api', 'db'].entries()) {
      // Each submit's decision saw exactly its own input, in submission order ...
      const decided = committed.filter((_, i) => i % 2 === k).map((c) => c.event?.input ?? null);
      const written = decided.filter((input) => input !== null);
      expect(written).toEqual(inputs.filter((_, i) => decided[i] !== null));
      // ... and what was written is that order (repeated refusals are counted, not written).
      const got = r.store
        .listEvents({ service, first: 500 })
        .events.filter((e) => e.data?.source !== 'executor' && e.input?.type !== 'tick')
        .map((e) => e.input);
      expect(got).toEqual(written);
      expect(written.length).toBeLessThan(inputs.length);
      // The decisions are those of the inputs applied one after another in submission order.
      let state: ServiceState = initialState();
      const expected = inputs.map((input) => {
        const d = decide(state, input, r.clock.now(), policy());
        state = d.next;
        return d.decision;
      });
      const mine = committed.filter((_, i) => i % 2 === k).map((c) => c.decision.decision);
      expect(mine).toEqual(expected);
    }
  });

  it('delivers a tick at the next deadline through the clock', async () => {
    const r = await rig();
    await feed(r, 'api', [...FAIL3]);
    const state = r.engine.view('api')!.state;
    expect(state.tag).toBe('restarting');
    const graceUntil = state.tag === 'restarting' ? state.graceUntil : 0;
    r.clock.advanceTo(graceUntil - 1);
    await r.engine.idle();
    expect(r.store.listEvents({ first: 500 }).events.filter((e) => e.input?.type === 'tick')).toEqual([]);
    r.clock.advanceTo(graceUntil);
    await r.engine.idle();
    const ticks = r.store.listEvents({ first: 500 }).events.filter((e) => e.input?.type === 'tick');
    expect(ticks).toHaveLength(1);
    expect(ticks[0]).toMatchObject({ at: graceUntil, data: { source: 'timer' } });
  });

  it('asks for approval with a single-use action when the circuit opens, and expires it when moot', async () => {
    const r = await rig([
      {
        name: 'api',
        unit: 'api.service',
        policy: policy({ failureThreshold: 1, cooldownSec: 5, startupGraceSec: 5 }),
      },
    ]);
    r.executor.result = () => ({ ok: false, detail: 'unit failed' });
    for (let i = 0; i < 30 && r.engine.view('api')!.state.tag !== 'circuit_open'; i++) {
      await feed(r, 'api', [{ type: 'probe_failed' }], 20_000);
    }
    expect(r.engine.view('api')!.state.tag).toBe('circuit_open');
    const [req] = r.store.listEvents({ kinds: ['approval_requested'] }).events;
    const [opened] = r.store.listEvents({ kinds: ['circuit_opened'] }).events;
    expect(req).toMatchObject({ service: 'api', decision: null, data: { incident: `api#${opened.id}` } });
    expect(req.id).toBe(opened.id + 1);
    const [action] = r.store.pendingActionsFor('api', r.clock.now());
    expect(action).toMatchObject({ kind: 'approve', incident: `api#${opened.id}`, usedAt: null });
    expect(action.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await r.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'alice', reason: 'investigating' });
    expect(r.store.pendingActionsFor('api', r.clock.now())).toEqual([]);
  });

  it('writes one log line with the audit fields for every event it commits', async () => {
    const r = await rig();
    await feed(r, 'api', [...FAIL3, { type: 'hold', ttlSec: 60, actor: 'alice', reason: 'why' }]);
    r.engine.record({
      service: 'api',
      kind: 'drift_detected',
      decision: null,
      taken: null,
      input: null,
      actor: 'drift',
      reason: 'ExecStart differs',
      stateFrom: null,
      stateTo: null,
      counters: null,
      effects: [],
      mode: null,
      data: null,
    });
    const events = r.store.listEvents({ first: 500 }).events;
    expect(r.logs.filter((l) => l.eventId !== undefined).map((l) => l.eventId)).toEqual(
      events.map((e) => e.id),
    );
    const hold = r.logs.find((l) => l.decision === 'hold_set')!;
    expect(hold).toMatchObject({
      service: 'api',
      actor: 'alice',
      reason: 'why',
      kind: 'hold_set',
      taken: true,
    });
    expect(hold.counters).toEqual(events.find((e) => e.decision === 'hold_set')!.counters);
  });

  it('publishes every committed event to subscribers in commit order', async () => {
    const r = await rig();
    const got: number[] = [];
    const off = r.engine.subscribe((e) => got.push(e.id));
    r.engine.subscribe(() => {
      throw new Error('a broken subscriber');
    });
    await feed(r, 'api', [...FAIL3, { type: 'probe_ok' }]);
    off();
    await feed(r, 'api', [{ type: 'probe_failed' }]); // written after the unsubscribe
    const ids = r.store.listEvents({ first: 500 }).events.map((e) => e.id);
    expect(got).toEqual(ids.slice(0, -1));
  });

  it('swaps a policy live: switching to shadow stops execution', async () => {
    const r = await rig();
    r.engine.setPolicy('api', policy({ mode: 'shadow' }));
    expect(r.engine.services.get('api')!.policy.mode).toBe('shadow');
    await feed(r, 'api', [...FAIL3]);
    expect(r.executor.calls).toEqual([]);
  });

  it('rejects unknown services, and any submit after close', async () => {
    const r = await rig();
    await expect(r.engine.submit('nope', { type: 'tick' })).rejects.toMatchObject({
      code: 'UNKNOWN_SERVICE',
    });
    await r.engine.close();
    await expect(r.engine.submit('api', { type: 'tick' })).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
  });

  it('close() waits for an in-flight restart and its outcome', async () => {
    const r = await rig();
    let release!: () => void;
    r.executor.during = () => new Promise<void>((res) => (release = res));
    for (const input of FAIL3) await r.engine.submit('api', input);
    const closed = r.engine.close();
    let done = false;
    closed.then(() => (done = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(done).toBe(false);
    release();
    await closed;
    expect(r.store.openIntents()).toEqual([]);
  });
});
