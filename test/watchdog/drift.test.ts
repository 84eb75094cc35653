import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock } from '../../src/clock/clock.js';
import type { Contract } from '../../src/contract/types.js';
import type { DriftReport, Finding } from '../../src/drift/check.js';
import { createLogger } from '../../src/log.js';
import type { Store } from '../../src/store/types.js';
import { DriftWatcher } from '../../src/watchdog/drift.js';
import { tempStore } from '../store/helpers.js';

const N = 300;
const contract = {
  file: '/srv/medic.yaml',
  supervisor: { kind: 'systemd', scope: 'user' },
  services: Array.from({ length: N }, (_, i) => ({ name: `s${i}`, unit: `s${i}.service` })),
} as unknown as Contract;

const finding = (service: string, field: string, actual = 'x'): Finding => ({
  source: 'systemd',
  service,
  field,
  expected: 'y',
  actual,
  severity: 'error',
  fix: 'medic contract render',
});

/** A watcher over `store` whose checks return `findings()`; its log lines are collected. */
function watcher(store: Store, findings: () => Finding[] | Error) {
  const lines: { msg: string; level: number; service?: string }[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    }),
  );
  const w = new DriftWatcher({
    contract,
    store,
    engine: {
      recordAll: (events) => store.transaction(() => events.map((e) => store.appendEvent({ ...e, at: 1 }))),
    },
    intervalSec: 3600,
    clock: systemClock,
    logger,
    check: async (): Promise<DriftReport> => {
      const f = findings();
      if (f instanceof Error) throw f;
      return { ok: f.length === 0, checkedAt: new Date(0).toISOString(), findings: f };
    },
  });
  return { w, lines };
}

const driftEvents = (store: Store) =>
  store.listEvents({ kinds: ['drift_detected', 'drift_resolved'], first: 500 }).events;

describe('drift inside medic serve', () => {
  it('records one small event per drifting service (never every service’s findings) and logs one summary plus one line per service', async () => {
    const { store } = tempStore();
    const all = contract.services.flatMap((s) => [
      finding(s.name, 'interpreter'),
      finding(s.name, 'command'),
    ]);
    const { w, lines } = watcher(store, () => all);
    await w.checkDrift();
    const events = driftEvents(store);
    expect(events).toHaveLength(N);
    for (const e of events) {
      const current = e.data?.current as Finding[];
      expect(current.map((f) => f.service)).toEqual([e.service, e.service]);
      expect(e.data).not.toHaveProperty('allFindings');
    }
    const summary = lines.filter((l) => l.msg.startsWith('contract drift changed'));
    expect(summary).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'contract drift_detected')).toHaveLength(N);
    // Unchanged on the next check: nothing recorded, nothing logged.
    const before = lines.length;
    await w.checkDrift();
    expect(driftEvents(store)).toHaveLength(N);
    expect(lines.length).toBe(before);
  });

  it('after a restart reads each service’s last recorded findings back: only what changed since is recorded', async () => {
    const { store } = tempStore();
    let findings = [finding('s1', 'command'), finding('s2', 'command'), finding('*', 'python.version')];
    await watcher(store, () => findings).w.checkDrift();
    findings = [finding('s1', 'command'), finding('s2', 'command', 'other')];
    // A second check of the same process moves s2 and resolves '*' …
    await watcher(store, () => findings).w.checkDrift();
    const afterSecond = driftEvents(store).length;
    // … and a restarted medic (a new watcher on the same store) with the same findings records nothing.
    const restarted = watcher(store, () => findings);
    await restarted.w.checkDrift();
    expect(driftEvents(store)).toHaveLength(afterSecond);
    expect(restarted.lines.filter((l) => l.msg.startsWith('contract drift'))).toEqual([]);
    // s1 resolves: exactly one drift_resolved for s1.
    findings = [finding('s2', 'command', 'other')];
    await restarted.w.checkDrift();
    const last = driftEvents(store).slice(afterSecond);
    expect(last.map((e) => [e.kind, e.service])).toEqual([['drift_resolved', 's1']]);
  });

  it('reads events written before data.current existed (allFindings) the same way', async () => {
    const { store } = tempStore();
    const old = [finding('s1', 'command'), finding('s7', 'interpreter')];
    for (const f of old) {
      store.appendEvent({
        at: 1,
        service: f.service,
        kind: 'drift_detected',
        decision: null,
        taken: null,
        input: null,
        actor: 'medic',
        reason: 'drift detected',
        stateFrom: null,
        stateTo: null,
        counters: null,
        effects: [],
        mode: null,
        data: { findings: [f], allFindings: old },
      });
    }
    await watcher(store, () => old).w.checkDrift();
    expect(driftEvents(store)).toHaveLength(2);
  });

  it('is not ready before the first check ends; a failed check makes it ready and is kept as lastError', async () => {
    const { store } = tempStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { w } = watcher(store, () => new Error('ListUnitsByNames timed out'));
    expect(w.readiness()).toMatchObject({ ready: false, reasons: ['first drift check running'] });
    const running = gate.then(() => w.checkDrift());
    release();
    await expect(running).rejects.toThrow('timed out');
    expect(w.readiness()).toMatchObject({ ready: true, reasons: [] });
    expect(w.lastError).toBe('ListUnitsByNames timed out');
  });
});

describe('the periodic drift check and memory', () => {
  it('calls afterCheck once after every scheduled check, passed or failed', async () => {
    const { store } = tempStore();
    const clock = new SimulatedClock();
    let calls = 0;
    let round = 0;
    const w = new DriftWatcher({
      contract,
      store,
      engine: { recordAll: () => [] },
      intervalSec: 60,
      clock,
      afterCheck: () => {
        calls += 1;
      },
      check: async (): Promise<DriftReport> => {
        round += 1;
        if (round === 2) throw new Error('systemd did not answer');
        return { ok: true, checkedAt: new Date(0).toISOString(), findings: [] };
      },
    });
    w.start();
    await w.firstCheck;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    for (const expected of [2, 3]) {
      clock.advance(60_000);
      // The check's promise chain settles over a few turns.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(calls).toBe(expected);
    }
    await w.stop();
  });
});
