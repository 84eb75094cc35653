/**
 * Slack within its limits (issue 12): a whole open-circuit incident driven in simulated time with
 * 1 s probes stays within a small number of Web API calls (parent updates coalesced to one per
 * 10 s and only on changed content; thread follow-ups only for state changes), and a 429 with
 * Retry-After from Slack loses nothing and sends nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Input } from '../../src/core/types.js';
import { type Harness, lastParent, openCircuit, settle, startHarness, threadTexts } from './harness.js';

let h: Harness;
afterEach(async () => h?.close());

const POLICY = {
  failureThreshold: 3,
  startupGraceSec: 10,
  stableSec: 60,
  circuit: { openSec: 120, maxOpenSec: 240 },
};

describe('Slack within its rate limits', () => {
  it('a 10-minute open circuit with 1 s probes (open, two half-open probes, close) costs at most 40 Web API calls', async () => {
    h = await startHarness({ policy: POLICY, updateIntervalMs: 10_000 });
    await openCircuit(h);
    await settle(h);
    for (let s = 1; s <= 600; s++) {
      h.clock.advance(1000);
      // Down until the second half-open probe restart (at ~370 s); healthy from then on.
      const input: Input = s < 372 ? { type: 'probe_failed' } : { type: 'probe_ok' };
      await h.engine.submit('api', input, { source: 'probe' });
      await settle(h);
    }
    h.clock.advance(10_000); // the last coalesced parent update is due
    await settle(h);
    const transitions = h.store
      .listEvents({ service: 'api', first: 500 })
      .events.filter((e) => e.decision !== null && e.stateFrom !== e.stateTo)
      .map((e) => `${e.stateFrom}→${e.stateTo}`);
    expect(transitions).toEqual([
      'healthy→circuit_open',
      'circuit_open→half_open',
      'half_open→restarting',
      'restarting→circuit_open',
      'circuit_open→half_open',
      'half_open→restarting',
      'restarting→half_open',
      'half_open→healthy',
    ]);
    const calls = h.fake.calls.filter((c) => c.method !== 'auth.test');
    const count = (m: string) => calls.filter((c) => c.method === m).length;
    console.log(
      `10-minute incident: ${calls.length} Web API calls (${count('chat.postMessage')} chat.postMessage, ${count('chat.update')} chat.update)`,
    );
    expect(calls.length).toBeLessThanOrEqual(40);
    // Nothing lost: every state change is in the thread, and the parent ends resolved.
    const thread = threadTexts(h).join('\n');
    for (const what of ['Circuit opened', 'Circuit half-open', 'Circuit closed'])
      expect(thread).toContain(what);
    expect(thread.match(/Circuit half-open/g)).toHaveLength(2);
    expect(lastParent(h).text).toMatch(/resolved|healthy|closed/i);
  }, 120_000);

  it('waits out a 429 with Retry-After: 2 from Slack: every follow-up arrives once, in order', async () => {
    h = await startHarness();
    await openCircuit(h);
    await settle(h);
    const before = threadTexts(h).length;
    h.fake.rateLimitNext.set('chat.postMessage', 2);
    const t0 = h.clock.now();
    await h.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'slack:U0OPERATOR', reason: 'deploy' });
    await h.engine.submit('api', { type: 'release', actor: 'slack:U0OPERATOR', reason: 'done' });
    // The bot waits Retry-After on medic's clock: let simulated time pass until the thread is done.
    await h.fake.waitFor(() =>
      h.fake.of('chat.postMessage').some((c) => String(c.args.text).includes('blocked')),
    );
    const delivered = () => threadTexts(h).some((n) => n.includes('Hold released'));
    for (let i = 0; i < 50 && !delivered(); i++) {
      await new Promise((r) => setTimeout(r, 20));
      h.clock.advance(500);
    }
    await settle(h, 10_000);
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(2000); // waited Retry-After (simulated)
    const notes = threadTexts(h).slice(before);
    const blocked = notes.findIndex((n) => n.includes('Automatic restarts blocked'));
    const released = notes.findIndex((n) => n.includes('Hold released'));
    expect(blocked).toBeGreaterThanOrEqual(0);
    expect(released).toBeGreaterThan(blocked);
    // The fake records the refused call too: the blocked note was sent twice (429, then delivered).
    expect(notes.filter((n) => n.includes('Automatic restarts blocked'))).toHaveLength(2);
    expect(notes.filter((n) => n.includes('Hold released'))).toHaveLength(1);
  }, 20_000);
});
