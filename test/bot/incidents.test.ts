import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, type Harness, openCircuit, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const actionIds = (blocks: unknown) =>
  JSON.stringify(blocks)
    .match(/"action_id":"[a-z_]+"/g)
    ?.map((s) => s.slice(13, -1)) ?? [];

describe('incident messages', () => {
  it('posts one parent message with state, churn, recommendation and buttons when a circuit opens', async () => {
    await openCircuit(h);
    await h.bot.idle();
    const posts = h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts);
    expect(posts).toHaveLength(1);
    const { args } = posts[0];
    expect(args.channel).toBe(CHANNEL);
    expect(String(args.text)).toContain('api');
    const json = JSON.stringify(args.blocks);
    expect(json).toContain('circuit opened');
    expect(json).toContain('restarts in 10 min');
    expect(json).toContain('half-open at');
    expect(json).toContain('journalctl');
    expect(json).toContain('https://medic.example.com/runbook#');
    expect(actionIds(args.blocks)).toEqual(['medic_approve', 'medic_block', 'medic_runbook']);
    expect(json).toContain('"style":"danger"'); // Block's confirm dialog
  });
});
