/**
 * Replay reproduces the fleet budget's decisions (issue 16): a real engine with a budgeted policy
 * waits for its lease (denied twice, then granted), restarts and recovers; the inputs read back
 * from its audit log (the hub's answers among them) replayed under the same policy give the same
 * decision for every written event.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { policySchema } from '../../src/core/policy.js';
import { createEngine } from '../../src/engine/engine.js';
import type { BudgetPort, BudgetReply } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { recordedInputs } from '../../src/rollout/history.js';
import { replay } from '../../src/rollout/replay.js';
import { openStore } from '../../src/store/sqlite.js';
import { RecordingExecutor } from '../engine/helpers.js';
import { tempDir } from '../store/helpers.js';

const policy = policySchema.parse({
  budget: { group: 'shop-api', maxConcurrent: 1, maxPerWindow: 10, windowSec: 300, onHubUnreachable: 'wait' },
});

describe('replaying a budgeted service', () => {
  it('reproduces every written decision from the recorded inputs, the hub’s answers included', async () => {
    const clock = new SimulatedClock();
    const store = openStore(`${tempDir()}/medic.db`);
    const answers: BudgetReply[] = [
      { type: 'budget_unreachable', reason: 'no answer within 500 ms' },
      { type: 'budget_denied', retryInMs: 800, position: 1, inFlight: 1, usedInWindow: 1, waiting: 1 },
      { type: 'budget_denied', retryInMs: 800, position: 1, inFlight: 1, usedInWindow: 1, waiting: 1 },
      { type: 'budget_granted', leaseId: 'n1/api/L1', inFlight: 1, usedInWindow: 2, waiting: 0 },
    ];
    const finished: string[] = [];
    const port: BudgetPort = {
      request: async () => answers.shift() ?? { type: 'budget_unreachable', reason: 'script over' },
      finish: async (_s, id) => {
        finished.push(id);
      },
    };
    const executor = new RecordingExecutor();
    const engine = await createEngine({
      store,
      services: [{ name: 'api', unit: 'api.service', policy }],
      executor,
      clock,
      logger: createLogger('silent'),
      budget: port,
      node: 'n1',
    });
    await engine.submit('api', { type: 'exited', code: 1 });
    await engine.idle();
    expect(engine.state('api')?.tag).toBe('budget_wait');
    // Unreachable (wait): asked again after 10 s; then two denials, 1 s apart; then the grant.
    for (let i = 0; i < 30 && engine.state('api')?.tag === 'budget_wait'; i++) {
      clock.advance(1000);
      await engine.idle();
    }
    expect(engine.state('api')?.tag).toBe('restarting');
    expect(executor.calls.map((c) => c.effect.type)).toEqual(['restart']);
    clock.advance(1000);
    await engine.submit('api', { type: 'probe_ok' });
    await engine.idle();
    expect(finished).toEqual(['n1/api/L1']);

    const events = store.listEvents({ first: 1000, order: 'asc' }).events.filter((e) => e.decision);
    expect(events.map((e) => e.decision)).toEqual([
      'budget_requested',
      // Written once per wait: the later denials and the re-asks are counted, not written.
      'skip_fleet_budget',
      'restart',
      'restart_succeeded',
      'recovered',
    ]);
    const inputs = recordedInputs(store, { since: 0, until: Number.MAX_SAFE_INTEGER }).get('api')!;
    const steps = replay(inputs, policy).steps.filter((s) => !s.synthetic);
    expect(steps.map((s) => s.decision)).toEqual(events.map((e) => e.decision));
    expect(steps.map((s) => s.effects)).toEqual(events.map((e) => e.effects));
    await engine.close();
    store.close();
  });
});
