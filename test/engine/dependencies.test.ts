/**
 * The engine's cross-service rules (issue 18): it tells decide() which dependency is down, wakes
 * deferred dependents when a dependency recovers (each restarted once, spread by jitter), and
 * follows a restart with its restartWith companions, in order, each through its own guards.
 */
import { describe, expect, it } from 'vitest';
import { policy, rig } from './helpers.js';

const fast = policy({ failureThreshold: 1, cooldownSec: 10, startupGraceSec: 5 });

describe('engine: dependsOn and restartWith', () => {
  it('defers a dependent while its dependency is down and restarts it once when it recovers', async () => {
    const r = await rig([
      { name: 'db', unit: 'db.service', policy: fast },
      { name: 'api', unit: 'api.service', policy: fast, dependsOn: ['db'] },
      { name: 'web', unit: 'web.service', policy: fast, dependsOn: ['db'] },
    ]);
    await r.engine.submit('db', { type: 'probe_failed' });
    const a = await r.engine.submit('api', { type: 'probe_failed' });
    expect(a.decision.decision).toBe('skip_dependency_down');
    expect(a.event?.reason).toMatch(/dependency db is restarting/);
    await r.engine.submit('web', { type: 'probe_failed' });
    // Repeats are counted, not written.
    const again = await r.engine.submit('api', { type: 'probe_failed' });
    expect(again.event).toBeNull();
    expect(r.engine.view('api')?.recommended.code).toBe('fix_dependency');
    expect(r.executor.calls.map((c) => c.service)).toEqual(['db']);

    r.clock.advance(2000);
    await r.engine.submit('db', { type: 'probe_ok' });
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.service)).toEqual(['db', 'api', 'web']);
    expect(r.engine.view('api')?.state.tag).toBe('restarting');
    // Nothing more: the dependents came back.
    await r.engine.submit('api', { type: 'probe_ok' });
    await r.engine.submit('web', { type: 'probe_ok' });
    r.clock.advance(60_000);
    await r.engine.idle();
    expect(r.executor.calls).toHaveLength(3);
  });

  it('spreads the dependents’ restarts by the policy’s jitter, on timers', async () => {
    const jittered = policy({ failureThreshold: 1, cooldownSec: 40, jitter: 0.5, windowSec: 3600 });
    const names = Array.from({ length: 8 }, (_, i) => `svc-${i}`);
    const r = await rig([
      { name: 'db', unit: 'db.service', policy: fast },
      ...names.map((name) => ({ name, unit: `${name}.service`, policy: jittered, dependsOn: ['db'] })),
    ]);
    await r.engine.submit('db', { type: 'probe_failed' });
    for (const n of names) await r.engine.submit(n, { type: 'probe_failed' });
    r.clock.advance(1000);
    await r.engine.submit('db', { type: 'probe_ok' });
    await r.engine.idle();
    const due = names.map((n) => {
      const s = r.engine.state(n);
      return s?.tag === 'deferred' ? s.restartAt : null;
    });
    expect(due.every((t) => t !== null)).toBe(true);
    expect(new Set(due).size).toBeGreaterThan(1);
    const start = r.clock.now();
    for (const t of due) expect(t! - start).toBeLessThanOrEqual(20_000);
    r.clock.advance(20_000);
    await r.engine.idle();
    expect(
      r.executor.calls
        .filter((c) => c.service !== 'db')
        .map((c) => c.service)
        .sort(),
    ).toEqual([...names].sort());
  });

  it('follows a restart with its restartWith companions, in order, each through its own guards', async () => {
    const r = await rig([
      { name: 'api', unit: 'api.service', policy: fast, restartWith: ['worker', 'beat'] },
      { name: 'worker', unit: 'worker.service', policy: fast },
      { name: 'beat', unit: 'beat.service', policy: fast },
    ]);
    await r.engine.submit('beat', { type: 'hold', ttlSec: 600, actor: 'alice', reason: 'migration' });
    await r.engine.submit('api', { type: 'force_restart', actor: 'bob', reason: 'deploy' });
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.service)).toEqual(['api', 'worker']);
    const beat = r.store.listEvents({ service: 'beat', first: 10 }).events.map((e) => e.decision);
    expect(beat).toEqual(['hold_set', 'skip_held']);
    const worker = r.store.listEvents({ service: 'worker', first: 10 }).events;
    expect(worker[0]).toMatchObject({ decision: 'restart', input: { type: 'restart_with', service: 'api' } });
  });
});
