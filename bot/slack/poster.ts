/**
 * Outbound Slack calls for incident messages, one queue per channel: calls run in order, and
 * `chat.postMessage` calls are spaced at least `intervalMs` apart (Slack allows ~1 message/s
 * per channel); `chat.update` of one message is coalesced to one per `updateIntervalMs`
 * (default 10 s, only on changed content, the newest winning: coalesce.ts). The WebClient is
 * built with retries off, so a timed-out post is never sent twice; a 429 is waited out and
 * resent by the transport (web-fetch.ts); any other failure is logged, never repeated here.
 */
import type { webApi } from '@slack/bolt';
import { systemClock } from '../../src/clock/clock.js';
import { type Clock, sleep } from '../../src/core/clock.js';
import { type UpdateArgs, UpdateCoalescer } from './coalesce.js';

type WebClient = webApi.WebClient;

export interface Posted {
  channel: string;
  ts: string;
}

/** Time source for the spacing (monotonic ms) — injectable so tests check it exactly. */
export interface PosterTiming {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Spacing and waits on medic's clock (monotonic time). */
export function clockTiming(clock: Clock): PosterTiming {
  return { now: () => clock.monotonic(), sleep: (ms) => sleep(clock, ms) };
}

export class ChannelPoster {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly lastPost = new Map<string, number>();

  private readonly coalescer: UpdateCoalescer;

  constructor(
    private readonly client: WebClient,
    private readonly intervalMs = 1000,
    private readonly timing: PosterTiming = clockTiming(systemClock),
    opts: { updateIntervalMs?: number; onError?: (err: unknown, args: UpdateArgs) => void } = {},
  ) {
    this.coalescer = new UpdateCoalescer(
      (args) =>
        this.enqueue(args.channel, async () => {
          await this.client.chat.update({
            channel: args.channel,
            ts: args.ts,
            text: args.text,
            blocks: args.blocks as never,
          });
        }),
      opts.updateIntervalMs ?? 10_000,
      timing,
      opts.onError ?? (() => {}),
    );
  }

  /** Posts a message (optionally into a thread). Resolves with its ts. */
  post(args: { channel: string; text: string; blocks?: unknown[]; thread_ts?: string }): Promise<Posted> {
    return this.enqueue(args.channel, async () => {
      const last = this.lastPost.get(args.channel);
      const wait = last === undefined ? 0 : last + this.intervalMs - this.timing.now();
      if (wait > 0) await this.timing.sleep(wait);
      this.lastPost.set(args.channel, this.timing.now());
      const res = await this.client.chat.postMessage({
        channel: args.channel,
        text: args.text,
        ...(args.blocks ? { blocks: args.blocks as never } : {}),
        ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}),
        unfurl_links: false,
      });
      return { channel: String(res.channel ?? args.channel), ts: String(res.ts) };
    });
  }

  /**
   * Replaces a message in place, coalesced per message (coalesce.ts): at most one chat.update
   * per `updateIntervalMs`, only on changed content, the newest content winning. Resolves once
   * sent or scheduled; a failure is logged by `onError`.
   */
  update(args: UpdateArgs): Promise<void> {
    return this.coalescer.update(args);
  }

  /** Sends pending (coalesced) updates now: on shutdown nothing is dropped. */
  async flush(): Promise<void> {
    await this.coalescer.flush();
    await this.idle();
  }

  /** Resolves when everything queued so far and due has been sent (or failed). */
  async idle(): Promise<void> {
    await this.coalescer.idle();
    await Promise.allSettled([...this.queues.values()]);
  }

  private enqueue<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(channel) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queues.set(channel, settled);
    void settled.then(() => {
      if (this.queues.get(channel) === settled) this.queues.delete(channel);
    });
    return next;
  }
}
