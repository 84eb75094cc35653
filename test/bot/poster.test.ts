import { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiUrl } from '../../bot/app.js';
import { ChannelPoster } from '../../bot/slack/poster.js';
import { slackFetch } from '../../bot/slack/web-fetch.js';
import { FakeSlack } from './fake-slack.js';

let fake: FakeSlack;
let client: App['client'];
beforeEach(async () => {
  fake = await new FakeSlack().start();
  const app = new App({
    token: 'xoxb-poster-test',
    signingSecret: 'unused-signing-secret',
    tokenVerificationEnabled: false,
    clientOptions: { slackApiUrl: apiUrl({ SLACK_API_URL: fake.apiUrl }), retryConfig: { retries: 0 } },
  });
  client = app.client;
});
afterEach(async () => {
  await fake.close();
});

describe('the Slack transport (slackFetch)', () => {
  it('waits out a 429 with Retry-After: 2 and sends the same call again: nothing lost, nothing twice', async () => {
    let t = 0;
    const slept: number[] = [];
    const outcomes: string[] = [];
    const app = new App({
      token: 'xoxb-poster-test',
      signingSecret: 'unused-signing-secret',
      tokenVerificationEnabled: false,
      clientOptions: {
        slackApiUrl: apiUrl({ SLACK_API_URL: fake.apiUrl }),
        retryConfig: { retries: 0 },
        fetch: slackFetch({
          now: () => t,
          sleep: async (ms) => {
            slept.push(ms);
            t += ms;
          },
          onCall: (m, o) => outcomes.push(`${m}:${o}`),
        }),
      },
    });
    const poster = new ChannelPoster(app.client, 0);
    const posted = await poster.post({ channel: 'C1', text: 'opened' });
    fake.rateLimitNext.set('chat.update', 2);
    await poster.update({ channel: 'C1', ts: posted.ts, text: 'half-open', blocks: [] });
    await poster.post({ channel: 'C1', thread_ts: posted.ts, text: 'probe restart' });
    expect(slept).toEqual([2000]);
    expect(fake.of('chat.update').map((c) => c.args.text)).toEqual(['half-open', 'half-open']);
    expect(fake.of('chat.postMessage').map((c) => c.args.text)).toEqual(['opened', 'probe restart']);
    expect(outcomes).toEqual([
      'chat.postMessage:ok',
      'chat.update:rate_limited',
      'chat.update:ok',
      'chat.postMessage:ok',
    ]);
  });
});

describe('ChannelPoster', () => {
  it('spaces posts to one channel by the interval and keeps their order', async () => {
    // Virtual time: sleeping advances it, so the spacing is checked exactly, not by wall clock.
    let t = 1000;
    const sentAt: number[] = [];
    const poster = new ChannelPoster(client, 1000, {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    const sent = [1, 2, 3, 4].map((n) =>
      poster.post({ channel: 'C1', text: `m${n}` }).then(() => sentAt.push(t)),
    );
    await Promise.all(sent);
    expect(fake.of('chat.postMessage').map((p) => p.args.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(sentAt).toEqual([1000, 2000, 3000, 4000]);
  });

  it('does not hold one channel back for another', async () => {
    const sleeps: number[] = [];
    const poster = new ChannelPoster(client, 1000, {
      now: () => 0,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await poster.post({ channel: 'C1', text: 'a' });
    await poster.post({ channel: 'C2', text: 'b' });
    expect(sleeps).toEqual([]);
    await poster.post({ channel: 'C1', text: 'c' });
    expect(sleeps).toEqual([1000]);
  });

  it('sends a failed post once and reports the failure (no retry that could double-post)', async () => {
    const poster = new ChannelPoster(client, 0);
    fake.failNext.set('chat.postMessage', 503);
    await expect(poster.post({ channel: 'C1', text: 'once' })).rejects.toThrow();
    expect(fake.of('chat.postMessage')).toHaveLength(1);
    await poster.post({ channel: 'C1', text: 'next' }); // the queue keeps working after a failure
    expect(fake.of('chat.postMessage')).toHaveLength(2);
  });
});
