import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, type Harness, openCircuit, settle, startHarness, threadTexts } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const parents = () => h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts);
const replies = () => h.fake.of('chat.postMessage').filter((c) => c.args.thread_ts);

/** Opens an incident on api and returns its parent ts. */
async function openIncident(): Promise<string> {
  await openCircuit(h);
  await settle(h);
  expect(parents()).toHaveLength(1);
  const ts = h.bot.tracker.incidentOf('api')?.ts;
  expect(ts).toBeTruthy();
  return ts as string;
}

describe('incidents across a bot restart', () => {
  it('threads a follow-up into the same parent and updates that parent after a restart', async () => {
    const ts = await openIncident();
    await h.startBot(); // stop + new bot on the same store
    h.fake.calls.length = 0;
    await h.engine.submit('api', { type: 'hold', ttlSec: 600, actor: 'cli:ops', reason: 'investigating' });
    await settle(h);
    expect(parents()).toHaveLength(0);
    const held = replies().filter((c) => String(c.args.text).includes('Automatic restarts blocked'));
    expect(held).toHaveLength(1);
    expect(held[0].args).toMatchObject({ channel: CHANNEL, thread_ts: ts });
    const updates = h.fake.of('chat.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((c) => c.args.ts === ts)).toBe(true);
  });

  it('posts an event committed while the bot was stopped exactly once after it starts again', async () => {
    const ts = await openIncident();
    const before = threadTexts(h).length;
    await h.stopBot();
    await h.engine.submit('api', { type: 'hold', ttlSec: 600, actor: 'cli:ops', reason: 'maintenance' });
    h.fake.calls.length = 0;
    await h.startBot();
    await settle(h);
    const held = replies().filter((c) => String(c.args.text).includes('Automatic restarts blocked'));
    expect(held).toHaveLength(1);
    expect(held[0].args.thread_ts).toBe(ts);
    // nothing from before the stop is posted again, and no new parent appears
    expect(replies()).toHaveLength(1);
    expect(parents()).toHaveLength(0);
    expect(before).toBeGreaterThan(0);
    // a live event after the catch-up still goes to the same thread, once
    await h.engine.submit('api', { type: 'release', actor: 'cli:ops', reason: 'done' });
    await settle(h);
    const released = replies().filter((c) => String(c.args.text).includes('Hold released'));
    expect(released).toHaveLength(1);
    expect(released[0].args.thread_ts).toBe(ts);
    expect(replies().every((c) => c.args.thread_ts === ts)).toBe(true);
    expect(replies().filter((c) => String(c.args.text).includes('Automatic restarts blocked'))).toHaveLength(
      1,
    );
  });

  it('redirects /go/<service> to the persisted incident permalink after a restart', async () => {
    const ts = await openIncident();
    await h.startBot();
    const go = await fetch(`${h.url}/go/api`, { redirect: 'manual' });
    expect(go.status).toBe(302);
    expect(go.headers.get('location')).toBe(
      `https://fake.slack.com/archives/${CHANNEL}/p${ts.replace('.', '')}`,
    );
  });

  it('writes the open incident and the handled-event cursor through to the store', async () => {
    expect(h.store.eventCursor('slack')).not.toBeNull();
    await openIncident();
    expect(h.store.eventCursor('slack')).toBe(h.bot.tracker.lastEventId);
    expect(h.store.openSlackIncidents().map((i) => i.key)).toEqual([h.bot.tracker.incidentOf('api')?.key]);
  });
});
