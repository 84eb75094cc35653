/**
 * Dependencies on another node (fleet mode, issue 18): the engine treats `node-b/db` like a local
 * dependency while the hub's answer about it is fresh (deferred with skip_dependency_down naming
 * it, dependents ticked when it is up again: one restart), and as unknown = not down once that
 * answer is older than the node's silence (audited once; the dependent's local limits apply).
 * The agent's RemoteDependencies is fed the hub's answers directly; time is a SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { RemoteDependencies } from '../../src/agent/remote-deps.js';
import type { ServiceState } from '../../src/core/types.js';
import { policy, rig } from './helpers.js';

const fast = policy({ failureThreshold: 1, cooldownSec: 10, startupGraceSec: 5 });
const SILENCE = 30_000;
const down = { tag: 'restarting' } as unknown as ServiceState;
const up = { tag: 'healthy' } as unknown as ServiceState;
const answer = (state: ServiceState | null, ageMs = 100) => [
  { id: 'node-b/db', state: state as never, ageMs, staleAfterMs: SILENCE },
];

async function setup() {
  const { SimulatedClock } = await import('../../src/clock/clock.js');
  const clock = new SimulatedClock();
  const remote = new RemoteDependencies(['node-b/db'], clock);
  const r = await rig(
    [
      { name: 'api', unit: 'api.service', policy: fast, dependsOn: ['node-b/db'] },
      { name: 'web', unit: 'web.service', policy: fast },
    ],
    { clock, remote },
  );
  return { r, remote, clock };
}

const remoteEvents = (r: Awaited<ReturnType<typeof rig>>) =>
  r.store
    .listEvents({ first: 100, order: 'asc' })
    .events.filter((e) => e.kind.startsWith('remote_dependency'))
    .map((e) => ({ kind: e.kind, data: e.data }));

describe('engine: a dependency on another node (node/name)', () => {
  it('defers the dependent while the hub says it is down, then restarts it exactly once when it is up', async () => {
    const { r, remote, clock } = await setup();
    remote.received(answer(down));
    const a = await r.engine.submit('api', { type: 'exited', code: 1 });
    expect(a.decision.decision).toBe('skip_dependency_down');
    expect(a.event?.reason).toMatch(/dependency node-b\/db is restarting/);
    expect(r.engine.view('api')?.recommended.command).toBe('medic status db --node node-b');
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      remote.received(answer(down)); // every ship round answers again
      expect((await r.engine.submit('api', { type: 'probe_failed' })).event).toBeNull();
    }
    expect(r.executor.calls).toHaveLength(0);

    remote.received(answer(up));
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.service)).toEqual(['api']);
    // More answers that it is up change nothing.
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      remote.received(answer(up));
    }
    await r.engine.submit('api', { type: 'probe_ok' });
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      remote.received(answer(up));
    }
    await r.engine.idle();
    expect(r.executor.calls).toHaveLength(1);
    expect(remoteEvents(r)).toEqual([]); // known all along: nothing to audit
  });

  it('a state older than the node silence (hub unreachable) is unknown = not down: audited once, local limits apply', async () => {
    const { r, remote, clock } = await setup();
    remote.received(answer(down, 5_000));
    expect((await r.engine.submit('api', { type: 'exited', code: 1 })).decision.decision).toBe(
      'skip_dependency_down',
    );
    // No answer any more (the hub is unreachable): the state ages on this agent's clock.
    clock.advance(SILENCE - 5_000 - 10);
    await r.engine.idle();
    expect(r.executor.calls).toHaveLength(0);
    clock.advance(20);
    await r.engine.idle();
    expect(r.executor.calls.map((c) => c.service)).toEqual(['api']);
    expect(remoteEvents(r)).toEqual([
      {
        kind: 'remote_dependency_unknown',
        data: { dependency: 'node-b/db', why: 'stale', lastState: 'restarting', dependents: ['api'] },
      },
    ]);
    // Still unknown, a crash is handled by api's own policy (cooldown, then a restart), nothing more audited.
    await r.engine.submit('api', { type: 'probe_ok' });
    clock.advance(60_000);
    const again = await r.engine.submit('api', { type: 'exited', code: 1 });
    expect(again.decision.decision).toBe('restart');
    // The hub answers again (state known): audited once.
    remote.received(answer(up));
    remote.received(answer(up));
    await r.engine.idle();
    expect(remoteEvents(r).map((e) => e.kind)).toEqual([
      'remote_dependency_unknown',
      'remote_dependency_known',
    ]);
  });

  it('a state the hub has never heard of is unknown (audited once, not down); an old answer is stale at once', async () => {
    const { r, remote } = await setup();
    remote.received(answer(null));
    remote.received(answer(null));
    expect((await r.engine.submit('api', { type: 'exited', code: 1 })).decision.decision).toBe('restart');
    expect(remoteEvents(r)).toEqual([
      {
        kind: 'remote_dependency_unknown',
        data: { dependency: 'node-b/db', why: 'not_reported', lastState: null, dependents: ['api'] },
      },
    ]);
    expect(remote.verdict('node-b/db')).toEqual({ known: false, reason: 'not_reported' });
    remote.received(answer(down, SILENCE + 1));
    expect(remote.verdict('node-b/db')).toEqual({ known: false, reason: 'stale' });
  });
});
