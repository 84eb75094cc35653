/**
 * The engine's maintenance windows (issue 18, part 2): it tells decide() which window applies
 * (from the Clock), marks the audit events of a window, records a shadow window's automatic
 * effects without executing them, and ticks every affected service once when a window ends or
 * is cancelled, so a service broken during the window is handled by its policy from then on.
 */
import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/contract/maintenance/active.js';
import { policy, rig } from './helpers.js';

const fast = policy({ failureThreshold: 1, cooldownSec: 10, startupGraceSec: 5 });
const MIN = 60_000;

function adhoc(
  from: number,
  until: number,
  mode: 'hold' | 'shadow' = 'hold',
  services: string[] | 'all' = 'all',
): MaintenanceWindow {
  return {
    id: 'adhoc:1',
    name: 'adhoc-1',
    services,
    mode,
    notify: false,
    reason: 'deploy (alice)',
    when: { kind: 'fixed', from, until },
  };
}

describe('engine: maintenance windows', () => {
  it('hold: a crash during the window is refused once, and restarted exactly once when it ends', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: fast },
      { name: 'db', unit: 'db.service', policy: fast },
    ]);
    const t0 = r.clock.now();
    r.engine.setMaintenance([adhoc(t0, t0 + 30 * MIN, 'hold', ['api'])]);
    const first = await r.engine.submit('api', { type: 'exited', code: 1 });
    expect(first.decision.decision).toBe('skip_maintenance');
    expect(first.event?.data).toMatchObject({
      maintenance: { id: 'adhoc:1', name: 'adhoc-1', mode: 'hold' },
    });
    for (let i = 0; i < 5; i++) {
      r.clock.advance(MIN);
      const again = await r.engine.submit('api', { type: 'probe_failed' });
      expect(again.decision.decision).toBe('skip_maintenance');
      expect(again.event).toBeNull(); // speak once: repeats are counted
    }
    // db is not covered: handled as usual.
    await r.engine.submit('db', { type: 'exited', code: 1 });
    await r.engine.idle();
    await r.engine.submit('db', { type: 'probe_ok' });
    expect(r.executor.calls.map((c) => c.service)).toEqual(['db']);
    const view = r.engine.view('api')!;
    expect(view.maintenance).toMatchObject({ name: 'adhoc-1', mode: 'hold', endsAt: t0 + 30 * MIN });
    expect(view.recommended.code).toBe('wait_maintenance');

    r.clock.advance(30 * MIN);
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.service)).toEqual(['db', 'api']);
    expect(r.engine.view('api')?.maintenance).toBeNull();
    await r.engine.submit('api', { type: 'probe_ok' });
    r.clock.advance(MIN);
    await r.engine.idle();
    expect(r.executor.calls.filter((c) => c.service === 'api')).toHaveLength(1);
    const written = r.store.listEvents({ service: 'api', first: 50 }).events.map((e) => e.decision);
    expect(written.filter((d) => d === 'skip_maintenance')).toHaveLength(1);
  });

  it('cancelling the window early re-evaluates the held service at once', async () => {
    const r = await rig();
    const t0 = r.clock.now();
    r.engine.setMaintenance([adhoc(t0, t0 + 60 * MIN)]);
    await r.engine.submit('api', { type: 'exited', code: 1 });
    r.clock.advance(5 * MIN);
    expect(r.executor.calls).toHaveLength(0);
    r.engine.setMaintenance([]);
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.effect)).toEqual([
      { type: 'restart', initiator: 'auto', probe: false },
    ]);
    const tick = r.store
      .listEvents({ service: 'api', first: 50 })
      .events.find((e) => e.decision === 'restart')!;
    expect(tick.decision).toBe('restart');
    expect(tick.data).toMatchObject({ source: 'maintenance', maintenanceEnded: 'adhoc:1/hold' });
  });

  it('shadow: automatic restarts are recorded (mode shadow, intent shadow) but not executed; a forced one runs', async () => {
    const r = await rig();
    const t0 = r.clock.now();
    r.engine.setMaintenance([adhoc(t0, t0 + 60 * MIN, 'shadow')]);
    const d = await r.engine.submit('api', { type: 'exited', code: 1 });
    expect(d.decision.decision).toBe('restart');
    expect(d.event?.mode).toBe('shadow');
    expect(d.event?.data).toMatchObject({ maintenance: { mode: 'shadow' } });
    await r.engine.idle();
    expect(r.executor.calls).toHaveLength(0);
    expect(r.store.listIntents('api').map((i) => i.outcome)).toEqual(['shadow']);
    r.clock.advance(MIN);
    const forced = await r.engine.submit('api', { type: 'force_restart', actor: 'alice', reason: 'now' });
    expect(forced.event?.mode).toBe('enforce');
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.effect.type === 'restart' && c.effect.initiator)).toEqual([
      'forced',
    ]);
  });

  it('audits a window span once when it starts and once when it ends, not per service or probe', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: fast },
      { name: 'db', unit: 'db.service', policy: fast },
      { name: 'web', unit: 'web.service', policy: fast },
    ]);
    const t0 = r.clock.now();
    const w = adhoc(t0 + MIN, t0 + 31 * MIN, 'hold', ['api', 'db', 'other-node-svc']);
    r.engine.setMaintenance([w]);
    expect(spanEvents(r)).toEqual([]); // not started yet
    r.clock.advance(MIN);
    await r.engine.idle();
    for (let i = 0; i < 5; i++) {
      r.clock.advance(MIN);
      await r.engine.submit('api', { type: 'probe_failed' });
      await r.engine.submit('db', { type: 'probe_ok' });
    }
    // medic restarts inside the window: the span is not started again.
    const again = await r.reopen([w]);
    again.clock.advance(25 * MIN);
    await again.engine.idle();
    again.clock.advance(MIN);
    await again.engine.idle();
    const data = { window: 'adhoc:1', name: 'adhoc-1', mode: 'hold', start: t0 + MIN, end: t0 + 31 * MIN };
    expect(spanEvents(again)).toEqual([
      {
        kind: 'maintenance_started',
        service: null,
        data: { ...data, services: ['api', 'db'], notify: false },
      },
      {
        kind: 'maintenance_ended',
        service: null,
        data: { ...data, services: ['api', 'db'], notify: false, how: 'ended' },
      },
    ]);
  });

  it('a window cancelled inside its span ends it once (how: cancelled); one that ended while medic was down is ended at start', async () => {
    const r = await rig();
    const t0 = r.clock.now();
    r.engine.setMaintenance([adhoc(t0, t0 + 60 * MIN, 'shadow')]);
    r.clock.advance(5 * MIN);
    r.engine.setMaintenance([]);
    r.engine.setMaintenance([]);
    await r.engine.idle();
    expect(spanEvents(r).map((e) => [e.kind, e.data.how ?? null])).toEqual([
      ['maintenance_started', null],
      ['maintenance_ended', 'cancelled'],
    ]);
    // Another span, then medic is down past its end.
    const t1 = r.clock.now();
    const w = { ...adhoc(t1, t1 + 10 * MIN), id: 'adhoc:2', name: 'adhoc-2' };
    r.engine.setMaintenance([w]);
    await r.engine.idle();
    r.clock.advance(20 * MIN);
    const later = await r.reopen([w]);
    await later.engine.idle();
    expect(spanEvents(later).map((e) => [e.kind, e.data.window, e.data.how ?? null])).toEqual([
      ['maintenance_started', 'adhoc:1', null],
      ['maintenance_ended', 'adhoc:1', 'cancelled'],
      ['maintenance_started', 'adhoc:2', null],
      ['maintenance_ended', 'adhoc:2', 'ended'],
    ]);
  });
});

function spanEvents(r: Awaited<ReturnType<typeof rig>>) {
  return r.store
    .listEvents({ kinds: ['maintenance_started', 'maintenance_ended'], first: 100 })
    .events.map((e) => ({ kind: e.kind, service: e.service, data: e.data as Record<string, unknown> }));
}
