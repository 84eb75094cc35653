/**
 * A fake Slack Web API on loopback (the only fake in medic's tests). It records every call and
 * answers chat.postMessage / chat.update / chat.postEphemeral / chat.getPermalink /
 * views.publish / auth.test the way Slack does, and enforces the Block Kit limits Slack
 * enforces (so a message over budget fails like it would in production). `response_url`s
 * point at `/respond/<id>` on the same server and are recorded too.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQs } from 'node:querystring';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** performance.now() when received. */
  at: number;
  token: string | null;
}

export interface Responded {
  id: string;
  body: Record<string, unknown>;
}

export const FAKE_TEAM = 'T0FAKE01';
export const FAKE_BOT_USER = 'U0MEDICBOT';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodeArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) return JSON.parse(raw || '{}');
  const form = parseQs(raw) as Record<string, unknown>;
  for (const [k, v] of Object.entries(form)) {
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        form[k] = JSON.parse(v);
      } catch {
        /* leave as string */
      }
    }
  }
  return form;
}

/** The same limits Slack applies to messages (views: 100 blocks). */
export function blockKitProblem(blocks: unknown, maxBlocks = 50): string | null {
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > maxBlocks) return `too many blocks (${blocks.length})`;
  for (const b of blocks as Array<Record<string, unknown>>) {
    const text = (b.text as { text?: string } | undefined)?.text;
    if (b.type === 'section' && text && text.length > 3000) return 'section text over 3000 chars';
    if (b.type === 'header' && text && text.length > 150) return 'header text over 150 chars';
    const fields = b.fields as Array<{ text: string }> | undefined;
    if (fields && (fields.length > 10 || fields.some((f) => f.text.length > 2000))) return 'bad fields';
    const elements = b.elements as unknown[] | undefined;
    if (b.type === 'actions' && elements && elements.length > 25) return 'too many elements';
  }
  return null;
}

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly responded: Responded[] = [];
  private server: Server | null = null;
  private base = '';
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  /** Optional artificial latency for every API call (ms). */
  latencyMs = 0;
  /** Answer the next calls of these methods with this HTTP status (e.g. 503), then behave. */
  readonly failNext = new Map<string, number>();
  /** User groups (id → member user ids) that `usergroups.users.list` answers from. */
  readonly userGroups = new Map<string, Set<string>>();
  /** Answer the next call of these methods with 429 and this `Retry-After` (seconds), then behave. */
  readonly rateLimitNext = new Map<string, number>();

  /** The SLACK_API_URL to configure (ends with /api/). */
  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.base}/respond/${id}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req)
        .then(({ status, body, retryAfter }) => {
          res.writeHead(status, {
            'content-type': 'application/json',
            ...(retryAfter ? { 'retry-after': String(retryAfter) } : {}),
          });
          res.end(JSON.stringify(body));
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: String(err) }));
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Calls of one method, in arrival order. */
  of(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  reset(): void {
    this.calls.length = 0;
    this.responded.length = 0;
  }

  /** Resolves at the next recorded call (no deadline: race it against what else may happen). */
  nextCall(): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Resolves when `pred()` holds (checked after every recorded call), or rejects after `timeoutMs`. */
  async waitFor<T>(pred: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const ok = pred();
    if (ok) return ok;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`FakeSlack.waitFor timed out; calls: ${this.calls.map((c) => c.method).join(', ')}`),
        );
      }, timeoutMs);
      const check = () => {
        const v = pred();
        if (v) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(v);
        }
      };
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private nextTs(): string {
    this.seq += 1;
    return `1767225600.${String(this.seq).padStart(6, '0')}`;
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: Record<string, unknown>; retryAfter?: number }> {
    const url = new URL(req.url ?? '/', this.base);
    const raw = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const respond = /^\/respond\/(.+)$/.exec(url.pathname);
    if (respond) {
      this.responded.push({ id: respond[1], body: JSON.parse(raw || '{}') });
      this.notify();
      return { status: 200, body: { ok: true } };
    }
    const m = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    if (!m) return { status: 404, body: { ok: false, error: 'not_found' } };
    const args = decodeArgs(raw, req.headers['content-type']);
    const auth =
      req.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : null);
    const call: ApiCall = {
      method: m[1],
      args,
      at: performance.now(),
      token: auth?.replace(/^Bearer /, '') ?? null,
    };
    this.calls.push(call);
    const retryAfter = this.rateLimitNext.get(call.method);
    if (retryAfter) {
      this.rateLimitNext.delete(call.method);
      this.notify();
      return { status: 429, body: { ok: false, error: 'ratelimited' }, retryAfter };
    }
    const failStatus = this.failNext.get(call.method);
    if (failStatus) {
      this.failNext.delete(call.method);
      this.notify();
      return { status: failStatus, body: { ok: false, error: 'fatal_error' } };
    }
    const body = this.answer(call);
    this.notify();
    return { status: 200, body };
  }

  private answer(call: ApiCall): Record<string, unknown> {
    const a = call.args;
    if (!call.token?.startsWith('xoxb-')) return { ok: false, error: 'not_authed' };
    switch (call.method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'medic',
          team_id: FAKE_TEAM,
          user_id: FAKE_BOT_USER,
          bot_id: 'B0MEDIC',
        };
      case 'chat.postMessage': {
        if (typeof a.channel !== 'string') return { ok: false, error: 'channel_not_found' };
        if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
        const problem = blockKitProblem(a.blocks);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        const ts = this.nextTs();
        return {
          ok: true,
          channel: a.channel,
          ts,
          message: { ts, text: a.text, blocks: a.blocks, thread_ts: a.thread_ts },
        };
      }
      case 'chat.update': {
        if (typeof a.channel !== 'string' || typeof a.ts !== 'string')
          return { ok: false, error: 'message_not_found' };
        const problem = blockKitProblem(a.blocks);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        return { ok: true, channel: a.channel, ts: a.ts, text: a.text };
      }
      case 'chat.postEphemeral':
        if (typeof a.channel !== 'string' || typeof a.user !== 'string')
          return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: this.nextTs() };
      case 'chat.getPermalink':
        if (typeof a.channel !== 'string' || typeof a.message_ts !== 'string')
          return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel: a.channel,
          permalink: `https://fake.slack.com/archives/${a.channel}/p${a.message_ts.replace('.', '')}`,
        };
      case 'views.publish': {
        const view = a.view as { type?: string; blocks?: unknown } | undefined;
        if (typeof a.user_id !== 'string' || view?.type !== 'home')
          return { ok: false, error: 'invalid_arguments' };
        const problem = blockKitProblem(view.blocks, 100);
        if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
        return { ok: true, view: { id: `V${this.seq++}`, type: 'home' } };
      }
      case 'usergroups.users.list': {
        const members = typeof a.usergroup === 'string' ? this.userGroups.get(a.usergroup) : undefined;
        if (!members) return { ok: false, error: 'no_such_subteam' };
        return { ok: true, users: [...members] };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}
