/**
 * Longer than ~200 lines on purpose: Slack's request checks (signature, identity, redelivery) in order.
 *
 * A Bolt `Receiver` that lives on medic's own HTTP server (mounted as the `/slack/events`
 * route) instead of opening a port of its own.
 *
 * Per request: read the RAW body (≤ 1 MiB), verify the v0 signature with a ±300 s window in
 * both directions (401 otherwise), answer `url_verification` / `ssl_check`, refuse other teams
 * and apps (403), acknowledge a redelivery or replay we have already seen (`X-Slack-Retry-Num`,
 * the same `event_id`, the same interaction, the same signed body — remembered through the
 * replay guard, durably under medic serve) without processing it again, saying so to a slash
 * command, and hand the rest to `app.processEvent` — after answering 200 (ack first, work
 * after; see `dispatch`). When the memory cannot be written (store failing) the request is
 * refused with 503 rather than processed unremembered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQs } from 'node:querystring';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { RefusalThrottle, type ThrottleOptions } from '../src/core/throttle.js';
import type { Logger } from '../src/log.js';
import { DeliveryDedupe } from './dedupe.js';
import { REPLAY_TTL_MS, type ReplayGuard, replayKeys } from './replay.js';
import type { BotClock } from './types.js';
import { verifySignature } from './verify.js';

export interface ReceiverOptions {
  signingSecret: string;
  teamId?: string;
  appId?: string;
  logger: Logger;
  clock: BotClock;
  /** Body size limit in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Listener jobs running at once after their ack (default 4). */
  maxConcurrentWork?: number;
  /** Invalid-signature throttle per source (default: core/throttle.ts defaults). */
  refusals?: ThrottleOptions;
  /** Durable memory of handled requests (default: in memory). */
  replayGuard?: ReplayGuard;
}

/** What a slash command's user sees for a replayed or retried request. */
export const ALREADY_HANDLED =
  'Already handled: this exact request reached medic before (a retry or a replay), so nothing was done again.';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** team and app ids of a request body, wherever the payload type keeps them. */
function identity(body: Record<string, unknown>): { team?: string; app?: string } {
  const team =
    (typeof body.team_id === 'string' && body.team_id) ||
    (body.team && typeof body.team === 'object' && typeof (body.team as { id?: unknown }).id === 'string'
      ? (body.team as { id: string }).id
      : undefined) ||
    (body.user &&
    typeof body.user === 'object' &&
    typeof (body.user as { team_id?: unknown }).team_id === 'string'
      ? (body.user as { team_id: string }).team_id
      : undefined);
  const app = typeof body.api_app_id === 'string' ? body.api_app_id : undefined;
  return { team: team || undefined, app };
}

/** Runs jobs at most `max` at a time, each started from a fresh macrotask (after pending I/O). */
class WorkSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.running += 1;
    await new Promise<void>((r) => setImmediate(r));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

export class MedicReceiver implements Receiver {
  private app: App | undefined;
  private readonly guard: ReplayGuard;
  private readonly bodyLimit: number;
  /** Listener work still running after the ack (awaited by stop()). */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Listener work runs a few at a time so a burst of clicks cannot starve the next acks. */
  private readonly slots: WorkSlots;
  /** Invalid-signature requests per source: summarised logs, 429 past the threshold. */
  private readonly refusals: RefusalThrottle;

  constructor(private readonly opts: ReceiverOptions) {
    this.bodyLimit = opts.bodyLimit ?? 1024 * 1024;
    this.slots = new WorkSlots(opts.maxConcurrentWork ?? 4);
    this.refusals = new RefusalThrottle(opts.refusals);
    const memory = new DeliveryDedupe(REPLAY_TTL_MS);
    this.guard = opts.replayGuard ?? {
      claim: (keys) => {
        const now = opts.clock.now();
        return keys.map((k) => memory.firstTime(k, now)).every(Boolean) ? 'new' : 'seen';
      },
    };
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  /** Waits for listener work that outlived its HTTP response. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** The route handler. Never throws; always answers. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) this.opts.logger.error({ err }, 'slack request failed');
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(err instanceof HttpError ? err.message : 'internal error');
      }
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    // A source that keeps sending unsigned/invalid requests gets 429 before any work is done.
    const source = req.socket.remoteAddress ?? 'unknown';
    const wait = this.refusals.retryAfterSec(source, this.opts.clock.now());
    if (wait > 0) {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': String(wait) });
      res.end('too many invalid requests');
      return;
    }
    const raw = await readRaw(req, this.bodyLimit);
    // Slack's ssl_check pings may come unsigned; answer them without looking at anything else.
    if (raw.toString('utf8') === 'ssl_check=1') return this.reply(res, 200, '');
    const verdict = verifySignature({
      signingSecret: this.opts.signingSecret,
      timestamp: header(req, 'x-slack-request-timestamp'),
      signature: header(req, 'x-slack-signature'),
      rawBody: raw,
      nowMs: this.opts.clock.now(),
    });
    if (!verdict.ok) {
      // One log line per source and reason per minute, with the count it stands for.
      const said = this.refusals.refuse(source, verdict.reason, this.opts.clock.now());
      if (said.write) {
        this.opts.logger.warn(
          { reason: verdict.reason, source, count: said.count, firstAt: said.firstAt },
          'slack request refused: signature',
        );
      }
      throw new HttpError(401, 'invalid signature');
    }
    const body = this.parse(raw, header(req, 'content-type'));
    if (body.type === 'url_verification') return this.reply(res, 200, { challenge: body.challenge });

    const who = identity(body);
    if (
      (this.opts.teamId && who.team && who.team !== this.opts.teamId) ||
      (this.opts.teamId && !who.team) ||
      (this.opts.appId && who.app && who.app !== this.opts.appId)
    ) {
      this.opts.logger.warn({ team: who.team, app: who.app }, 'slack request refused: team/app');
      throw new HttpError(403, 'wrong team or app');
    }

    const keys = replayKeys(body, header(req, 'x-slack-signature'));
    const retryNum = header(req, 'x-slack-retry-num');
    let memory: 'new' | 'seen';
    try {
      memory = await this.guard.claim(keys, this.opts.clock.now() + REPLAY_TTL_MS);
    } catch (err) {
      this.opts.logger.error({ err }, 'slack request refused: cannot remember it (store failing)');
      throw new HttpError(503, 'medic cannot record this request now; retry later');
    }
    if (memory === 'seen') {
      this.opts.logger.info(
        { key: keys[0], retryNum },
        'slack redelivery or replay acknowledged, not processed again',
      );
      // A slash command's response body is shown to its user; other payloads want an empty ack.
      if (typeof body.command === 'string') {
        return this.reply(res, 200, { response_type: 'ephemeral', text: ALREADY_HANDLED });
      }
      return this.reply(res, 200, '');
    }
    if (!this.app) throw new HttpError(503, 'bot not initialized');

    // Ack first, work after: every payload medic handles is answered with an empty 200 (replies
    // go through response_url / chat.postEphemeral / views.publish), so the receiver answers
    // before Bolt runs anything and listeners' ack() calls are no-ops. Slack's 3 s limit then
    // never depends on GraphQL, the store or the Slack Web API.
    this.reply(res, 200, '');
    const event: ReceiverEvent = {
      body,
      retryNum: retryNum === undefined ? undefined : Number(retryNum),
      retryReason: header(req, 'x-slack-retry-reason'),
      ack: async () => {},
    };
    const app = this.app;
    const work = this.slots
      .run(() => app.processEvent(event))
      .catch((err: unknown) => this.opts.logger.error({ err }, 'slack listener failed'))
      .finally(() => this.inflight.delete(work));
    this.inflight.add(work);
  }

  private parse(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
    const text = raw.toString('utf8');
    try {
      if (contentType?.startsWith('application/x-www-form-urlencoded')) {
        const form = parseQs(text);
        if (typeof form.payload === 'string') return JSON.parse(form.payload) as Record<string, unknown>;
        return form as Record<string, unknown>;
      }
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new HttpError(400, 'malformed body');
    }
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    } else {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }
  }
}
