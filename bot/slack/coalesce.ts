/**
 * Coalescing of `chat.update` per message (an incident's parent): at most one update per
 * `intervalMs` per message, only when the rendered content changed, the latest content winning.
 *
 * - The first change after a quiet period is sent at once (leading edge); changes inside the
 *   interval wait for its end and only the newest of them is sent (trailing edge).
 * - Content equal to what was last sent (or is about to be sent) costs nothing.
 * - `flush()` sends whatever is pending now (shutdown: a state change is never dropped).
 * - Memory: one small entry per message, the oldest forgotten beyond `maxMessages`.
 * Rate limits (429) are handled below, in the transport (web-fetch.ts).
 */

export interface UpdateArgs {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

export interface CoalesceTiming {
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Message {
  /** Content last handed to `send` (JSON of text + blocks), and when. */
  sent: string | null;
  sentAt: number;
  pending: { args: UpdateArgs; content: string } | null;
  scheduled: boolean;
}

export class UpdateCoalescer {
  private readonly messages = new Map<string, Message>();
  private readonly due = new Set<Promise<void>>();

  constructor(
    private readonly send: (args: UpdateArgs) => Promise<void>,
    private readonly intervalMs: number,
    private readonly timing: CoalesceTiming,
    private readonly onError: (err: unknown, args: UpdateArgs) => void,
    private readonly maxMessages = 1000,
  ) {}

  /** Queues `args` as the message's newest content. Resolves once it is sent or scheduled. */
  update(args: UpdateArgs): Promise<void> {
    const id = `${args.channel}|${args.ts}`;
    let m = this.messages.get(id);
    if (!m) {
      m = { sent: null, sentAt: Number.NEGATIVE_INFINITY, pending: null, scheduled: false };
      this.messages.set(id, m);
      if (this.messages.size > this.maxMessages) this.messages.delete(this.messages.keys().next().value!);
    }
    const content = JSON.stringify([args.text, args.blocks]);
    if (content === (m.pending?.content ?? m.sent)) return Promise.resolve();
    m.pending = { args, content };
    if (m.scheduled) return Promise.resolve(); // the scheduled send takes the newest content
    const wait = m.sentAt + this.intervalMs - this.timing.now();
    if (wait <= 0) return this.sendPending(m);
    m.scheduled = true;
    const msg = m;
    // Not tracked by idle(): it is not due yet (in simulated time nothing would advance it).
    void this.timing.sleep(wait).then(() => {
      msg.scheduled = false;
      return this.sendPending(msg);
    });
    return Promise.resolve();
  }

  /** Sends every pending update now (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.messages.values()].map((m) => this.sendPending(m)));
  }

  /** Resolves when the sends that are due (not the ones waiting for their interval) are done. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.due]);
  }

  /** Updates waiting for their interval to end. */
  get waiting(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.pending) n++;
    return n;
  }

  private sendPending(m: Message): Promise<void> {
    const p = m.pending;
    m.pending = null;
    if (!p || p.content === m.sent) return Promise.resolve();
    m.sent = p.content;
    m.sentAt = this.timing.now();
    const job = this.send(p.args).catch((err: unknown) => {
      // Not sent (a rate limit is retried below this layer): let the next change try again.
      if (m.sent === p.content) m.sent = null;
      this.onError(err, p.args);
    });
    this.track(job);
    return job;
  }

  private track(job: Promise<void>): void {
    this.due.add(job);
    void job.finally(() => this.due.delete(job));
  }
}
