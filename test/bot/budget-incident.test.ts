/**
 * The agent's Slack bot and the fleet restart budget (issue 16): a restart the hub denies opens
 * one incident titled as a wait (not a refusal) that shows the group's numbers (in flight and
 * used in the window against the limits, how many wait, this service's place) and the
 * recommended action (`medic budget`, the bypass by `medic force`). Real engine and bot, the
 * hub's answers from a fake budget port, the fake Slack Web API at the wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetPort } from '../../src/engine/types.js';
import { type Harness, settle, startHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const denying: BudgetPort = {
  async request() {
    return {
      type: 'budget_denied',
      retryInMs: 60_000,
      position: 2,
      inFlight: 2,
      usedInWindow: 7,
      waiting: 3,
    };
  },
  async finish() {},
};

describe('the skip_fleet_budget incident in Slack', () => {
  it('shows the group’s numbers and the recommended action, once per wait', async () => {
    h = await startHarness({
      budget: denying,
      policy: {
        failureThreshold: 1,
        budget: {
          group: 'shop-api',
          maxConcurrent: 2,
          maxPerWindow: 10,
          windowSec: 300,
          onHubUnreachable: 'wait',
          timeoutMs: 500,
        },
      },
    });
    await h.engine.submit('api', { type: 'exited', code: 1 }, { source: 'process' });
    await h.engine.idle();
    expect(h.engine.view('api')?.state.tag).toBe('budget_wait');
    await settle(h);
    const parents = h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts);
    expect(parents).toHaveLength(1);
    expect(String(parents[0]!.args.text)).toContain('api: waiting for fleet budget');
    const blocks = JSON.stringify(parents[0]!.args.blocks);
    // What happened: the group's numbers against its limits, this service's place in line.
    expect(blocks).toContain('2/2 in flight, 7/10 in 300s, 3 waiting, this service #2 in shop-api');
    // The recommended action: where to look, and how to bypass (counted, audited).
    expect(blocks).toContain('api waits for a restart lease in fleet budget shop-api');
    expect(blocks).toContain('medic budget');
    expect(blocks).toContain('medic force api');

    // Asked again and denied again: counted, not a second incident.
    h.clock.advance(61_000);
    await h.engine.idle();
    await settle(h);
    expect(h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
  });
});
