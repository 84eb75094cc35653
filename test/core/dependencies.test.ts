/**
 * Dependencies (issue 18), as properties of decide() in a world of several services:
 * - a dependent is never restarted automatically while one of its dependencies is down
 *   (operator restarts — forced, approved — are never deferred);
 * - deferrals never enter the window or the backoff run;
 * - every deferred dependent is restarted at most once after its dependency recovered, and —
 *   when it then comes up — exactly once, no earlier than the recovery and no later than the
 *   jitter spread allows;
 * - restartWith companions follow a restart through their own guards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUp } from '../../src/core/dependency.js';
import { jitterUnit, stretchSec } from '../../src/core/jitter.js';
import { minSpanForCircuitSec, type Policy, parsePolicy } from '../../src/core/policy.js';
import type { Input } from '../../src/core/types.js';
import { inputArb, rawPolicyArb, T0 } from './arbitraries.js';
import { policyOf } from './sim.js';
import { NODE, World } from './world.js';

/** A valid policy with a random jitter (windowSec placed above what the stretched delays need). */
const jitteredPolicyArb: fc.Arbitrary<Policy> = fc
  .tuple(rawPolicyArb, fc.integer({ min: 1, max: 600 }), fc.constantFrom(0, 0.1, 0.25, 0.5, 1))
  .map(([raw, slack, jitter]) => {
    const probe = parsePolicy({ ...raw, jitter, windowSec: 1e9 });
    if (!probe.ok) throw new Error(`generator bug: ${JSON.stringify(probe.problems)}`);
    const parsed = parsePolicy({
      ...raw,
      jitter,
      windowSec: Math.ceil(minSpanForCircuitSec(probe.value)) + slack,
    });
    if (!parsed.ok) throw new Error(`generator bug: ${JSON.stringify(parsed.problems)}`);
    return parsed.value;
  });

const NAMES = ['db', 'cache', 'api', 'worker', 'web'] as const;

/** db ← cache ← api; worker ← db (restartWith of api); web ← db, api. */
function topology(policy: Policy, dbPolicy: Policy) {
  return new World([
    { name: 'db', policy: dbPolicy },
    { name: 'cache', policy, dependsOn: ['db'] },
    { name: 'api', policy, dependsOn: ['cache'], restartWith: ['worker'] },
    { name: 'worker', policy, dependsOn: ['db'] },
    { name: 'web', policy, dependsOn: ['db', 'api'] },
  ]);
}

type WStep =
  | { kind: 'input'; advanceMs: number; service: number; input: Input }
  | { kind: 'wake'; service: number };

const wstepArb: fc.Arbitrary<WStep> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('input' as const),
      advanceMs: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 600_000 }),
      ),
      service: fc.integer({ min: 0, max: NAMES.length - 1 }),
      input: inputArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wake' as const), service: fc.integer({ min: 0, max: 4 }) }),
  },
);

function run(world: World, steps: WStep[]): void {
  let now = T0;
  for (const step of steps) {
    const name = NAMES[step.service]!;
    if (step.kind === 'wake') {
      const at = world.wakeAt(name);
      if (at === null) continue;
      now = Math.max(now, at);
      world.feed(name, { type: 'tick' }, now);
    } else {
      now += step.advanceMs;
      world.feed(name, step.input, now);
    }
  }
}

describe('dependencies (dependsOn) in decide()', () => {
  it('never restarts a dependent automatically while a dependency is down; operator restarts always run', () => {
    fc.assert(
      fc.property(
        jitteredPolicyArb,
        jitteredPolicyArb,
        fc.array(wstepArb, { minLength: 1, maxLength: 250 }),
        (p, dbp, steps) => {
          const world = topology(p, dbp);
          run(world, steps);
          for (const r of world.log) {
            const restart = r.decision.effects.find((e) => e.type === 'restart');
            if (r.input.type === 'force_restart') expect(restart).toBeDefined();
            if (restart?.initiator !== 'auto') continue;
            // An automatic restart: no dependency was down when it was decided.
            expect(
              r.env.dependencyDown,
              `${r.service} restarted while ${r.env.dependencyDown?.name} down`,
            ).toBeUndefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('deferrals never enter the window or the backoff run, and one deferral leads to at most one restart', () => {
    fc.assert(
      fc.property(
        jitteredPolicyArb,
        jitteredPolicyArb,
        fc.array(wstepArb, { minLength: 1, maxLength: 250 }),
        (p, dbp, steps) => {
          const world = topology(p, dbp);
          run(world, steps);
          const restartsFromEpisode = new Map<string, number>();
          for (const r of world.log) {
            const { decision: d, before } = r;
            if (d.decision === 'skip_dependency_down') {
              // Nothing added (settle may only prune the window and decay the run).
              for (const t of d.next.churn.window) expect(before.churn.window).toContain(t);
              expect(d.next.churn.totalRestarts).toBe(before.churn.totalRestarts);
              expect(d.next.churn.backoffLevel).toBeLessThanOrEqual(before.churn.backoffLevel);
              expect(d.next.churn.lastRestartAt).toBe(before.churn.lastRestartAt);
              expect(d.effects).toEqual([]);
            }
            if (
              before.tag === 'deferred' &&
              d.effects.some((e) => e.type === 'restart' && e.initiator === 'auto')
            ) {
              const key = `${r.service}@${before.since}`;
              restartsFromEpisode.set(key, (restartsFromEpisode.get(key) ?? 0) + 1);
              expect(restartsFromEpisode.get(key), key).toBe(1);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a dependency outage: no dependent restarts during it, exactly one each after it, within the jitter spread', () => {
    fc.assert(
      fc.property(
        jitteredPolicyArb,
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 20 }),
        (policy, dependents, outageSec, probeSec) => {
          const dbPolicy = policyOf({ failureThreshold: 1 });
          const names = Array.from({ length: dependents }, (_, i) => `svc-${i}`);
          const world = new World([
            { name: 'db', policy: dbPolicy },
            ...names.map((name) => ({ name, policy, dependsOn: ['db'] })),
          ]);
          let now = T0;
          for (const n of ['db', ...names]) world.feed(n, { type: 'probe_ok' }, now);
          // The outage: db fails, then its dependents fail their probes every probeSec.
          now += 1000;
          world.feed('db', { type: 'probe_failed' }, now);
          const end = now + outageSec * 1000;
          for (let round = 0; now < end || round < policy.failureThreshold; round++) {
            now += probeSec * 1000;
            for (const n of names) world.feed(n, { type: 'probe_failed' }, now);
            world.feed('db', { type: 'probe_failed' }, now);
          }
          const duringOutage = world.log.filter((r) => r.service !== 'db' && r.decision.effects.length > 0);
          expect(duringOutage).toEqual([]);
          const deferred = names.filter((n) => world.state(n).tag === 'deferred');
          expect(deferred.length).toBe(dependents);
          const start = world.log.length;
          // Recovery: db passes its probes (and ticks at its deadlines) until it is up.
          let recoveredAt: number | null = null;
          for (let i = 0; i < 100 && recoveredAt === null; i++) {
            // Its deadlines first (an open circuit half-opens), then a passing probe.
            const wake = world.wakeAt('db');
            if (wake !== null) {
              now = Math.max(now, wake);
              world.feed('db', { type: 'tick' }, now);
            }
            if (isUp(world.state('db'))) recoveredAt = now;
            else {
              now += probeSec * 1000;
              world.feed('db', { type: 'probe_ok' }, now);
              if (isUp(world.state('db'))) recoveredAt = now;
            }
          }
          expect(recoveredAt).not.toBeNull();

          // Dependents keep failing until restarted; once restarting, they come up.
          for (let i = 0; i < 10 * dependents + 10; i++) {
            for (const n of names) {
              const s = world.state(n);
              if (s.tag === 'restarting') world.feed(n, { type: 'probe_ok' }, now);
              else if (s.tag !== 'healthy') {
                const wake = world.wakeAt(n);
                if (wake !== null) world.feed(n, { type: 'tick' }, Math.max(now, wake));
              }
            }
            now += 1000 * Math.max(1, policy.cooldownSec);
          }
          const after = world.log.slice(start);
          for (const n of names) {
            const restarts = after.filter(
              (r) => r.service === n && r.decision.effects.some((e) => e.type === 'restart'),
            );
            expect(restarts.length, n).toBe(1);
            const at = restarts[0]!.at;
            const spread =
              (stretchSec(policy.cooldownSec, policy.jitter, { node: NODE, service: n }, 0) -
                policy.cooldownSec) *
              1000;
            expect(at).toBeGreaterThanOrEqual(recoveredAt!);
            expect(at).toBeLessThanOrEqual(recoveredAt! + Math.round(spread));
            expect(world.state(n).tag).toBe('healthy');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('restarts a chain in dependency order (cache once db is up, api once cache is)', () => {
    const p = policyOf({ failureThreshold: 1, cooldownSec: 10 });
    const world = new World([
      { name: 'db', policy: p },
      { name: 'cache', policy: p, dependsOn: ['db'] },
      { name: 'api', policy: p, dependsOn: ['cache'] },
    ]);
    let now = T0;
    for (const n of ['db', 'cache', 'api']) world.feed(n, { type: 'probe_ok' }, now);
    now += 1000;
    world.feed('db', { type: 'probe_failed' }, now);
    world.feed('cache', { type: 'probe_failed' }, now);
    world.feed('api', { type: 'probe_failed' }, now);
    expect(world.state('cache')).toMatchObject({ tag: 'deferred', dependency: 'db' });
    expect(world.state('api')).toMatchObject({ tag: 'deferred', dependency: 'cache' });
    now += 5000;
    world.feed('db', { type: 'probe_ok' }, now); // db restarting → recovered: up
    expect(world.state('cache').tag).toBe('restarting');
    expect(world.state('api').tag).toBe('deferred');
    now += 1000;
    world.feed('cache', { type: 'probe_ok' }, now);
    expect(world.state('api').tag).toBe('restarting');
    const order = world.log.filter((r) => r.decision.decision === 'restart').map((r) => r.service);
    expect(order).toEqual(['db', 'cache', 'api']);
  });

  it('names the dependency in the decision and the recommended action', () => {
    const world = new World([
      { name: 'db', policy: policyOf({ failureThreshold: 1 }) },
      { name: 'api', policy: policyOf({ failureThreshold: 1 }), dependsOn: ['db'] },
    ]);
    world.feed('db', { type: 'probe_failed' }, T0);
    const d = world.feed('api', { type: 'probe_failed' }, T0 + 1);
    expect(d.decision).toBe('skip_dependency_down');
    expect(d.detail).toMatch(/dependency db is restarting \(fix db first/);
    expect(d.next.churn.blocked.skip_dependency_down).toBe(1);
  });

  it('restartWith: a restart is followed by its companions, each through its own guards', () => {
    const p = policyOf({ failureThreshold: 1, cooldownSec: 60 });
    const world = new World([
      { name: 'api', policy: p, restartWith: ['worker', 'beat'] },
      { name: 'worker', policy: p },
      { name: 'beat', policy: p },
    ]);
    world.feed('beat', { type: 'hold', ttlSec: 600, actor: 'alice', reason: 'migration' }, T0);
    world.feed('api', { type: 'probe_failed' }, T0 + 1000);
    const follow = world.log
      .filter((r) => r.input.type === 'restart_with')
      .map((r) => [r.service, r.decision.decision]);
    expect(follow).toEqual([
      ['worker', 'restart'],
      ['beat', 'skip_held'],
    ]);
    // The worker's own cooldown guards the next one: a second api restart soon after is refused for it.
    world.feed('worker', { type: 'probe_ok' }, T0 + 2000);
    world.feed('api', { type: 'force_restart', actor: 'bob', reason: 'deploy' }, T0 + 3000);
    expect(world.log.at(-2)).toMatchObject({ service: 'worker', decision: { decision: 'skip_cooldown' } });
  });
});

describe('jitter', () => {
  it('is deterministic, in [0, 1), and only ever stretches a delay by up to the fraction', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.nat(1000),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (node, service, n, j, sec) => {
          const u = jitterUnit({ node, service }, n);
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          expect(jitterUnit({ node, service }, n)).toBe(u);
          const s = stretchSec(sec, j, { node, service }, n);
          expect(s).toBeGreaterThanOrEqual(sec);
          expect(s).toBeLessThanOrEqual(sec * (1 + j));
        },
      ),
    );
  });

  it('spreads 50 services of one node over the whole range', () => {
    const us = Array.from({ length: 50 }, (_, i) => jitterUnit({ node: NODE, service: `svc-${i}` }, 0));
    const buckets = new Set(us.map((u) => Math.floor(u * 5)));
    expect(buckets.size).toBe(5);
  });

  it('stretches the gate delay per service (different services, different waits), never below the cooldown', () => {
    const p = policyOf({ failureThreshold: 1, cooldownSec: 100, jitter: 0.25, windowSec: 3600 });
    const waits = ['a', 'b', 'c', 'd'].map((name) => {
      const world = new World([{ name, policy: p }]);
      world.feed(name, { type: 'probe_failed' }, T0);
      world.feed(name, { type: 'probe_ok' }, T0 + 1000);
      const d = world.feed(name, { type: 'probe_failed' }, T0 + 2000);
      expect(d.next.tag).toBe('cooldown');
      return d.next.tag === 'cooldown' ? d.next.until - T0 : 0;
    });
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(100_000);
      expect(w).toBeLessThanOrEqual(125_000);
    }
    expect(new Set(waits).size).toBe(4);
  });

  it('is validated in the policy schema (0 ≤ jitter ≤ 1) and counted by the feasibility check', () => {
    expect(parsePolicy({ jitter: -0.1 }).ok).toBe(false);
    expect(parsePolicy({ jitter: 1.5 }).ok).toBe(false);
    // 3 restarts × 60 s cooldown = 180 s fits 200 s, but not when stretched by up to 25 %.
    expect(
      parsePolicy({
        maxRestarts: 3,
        cooldownSec: 60,
        backoff: { initialSec: 1, maxSec: 1 },
        startupGraceSec: 1,
        windowSec: 200,
      }).ok,
    ).toBe(true);
    const r = parsePolicy({
      maxRestarts: 3,
      cooldownSec: 60,
      backoff: { initialSec: 1, maxSec: 1 },
      startupGraceSec: 1,
      windowSec: 200,
      jitter: 0.25,
    });
    expect(r.ok).toBe(false);
  });
});
