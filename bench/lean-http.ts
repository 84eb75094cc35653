/**
 * A lean keep-alive HTTP/1.1 JSON poster for the lease-latency load (bench/fleet-budget-load.ts),
 * with the same contract as `poster()` (bench/fleet-budget-common.ts): one request at a time per
 * connection, connections reused oldest-idle first (none idles past the hub's 5 s keep-alive),
 * the timeout running from the call. Why: the generators share the hub's 2 cores, and node's
 * `http.request` cost them about as much CPU per request as the hub spent answering it (measured:
 * docs/BENCHMARKS.md "Fleet budget lease cost, run 8") — CPU the hub and PostgreSQL then waited
 * for, and answers that waited in a busy generator's loop before being timed. Here a request is
 * one pre-built string written at once, and the answer is parsed by hand: status, headers,
 * `Content-Length` or chunked body.
 */
import net from 'node:net';
import { serverTiming } from './fleet-budget-common.js';

export interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  timing: Record<string, number>;
  /** Sent on a new connection (not a kept-alive one). */
  fresh: boolean;
}

interface Job {
  data: string;
  fresh: boolean;
  /** Answered, failed or timed out: settled once. */
  settled: boolean;
  conn: Conn | null;
  resolve(a: Answer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const settle = (job: Job, f: () => void) => {
  if (job.settled) return;
  job.settled = true;
  clearTimeout(job.timer);
  f();
};

class Conn {
  job: Job | null = null;
  alive = true;
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    readonly socket: net.Socket,
    /** Back to the poster: free again (`ok`), or gone. */
    private readonly done: (c: Conn, ok: boolean) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.data(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(job: Job): void {
    this.job = job;
    job.conn = this;
    this.buf = Buffer.alloc(0);
    this.socket.write(job.data);
  }

  fail(err: Error): void {
    if (!this.alive) return;
    this.alive = false;
    this.socket.destroy();
    const job = this.job;
    this.job = null;
    if (job) settle(job, () => job.reject(err));
    this.done(this, false);
  }

  private data(d: Buffer): void {
    const job = this.job;
    if (!job) return;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end).split('\r\n');
    const status = Number(head[0]!.split(' ')[1]);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    let body: string | null;
    const length = headers.get('content-length');
    if (length !== undefined) {
      if (this.buf.length < end + 4 + Number(length)) return;
      body = this.buf.toString('utf8', end + 4, end + 4 + Number(length));
    } else if (headers.get('transfer-encoding') === 'chunked') {
      body = chunked(this.buf, end + 4);
      if (body === null) return;
    } else {
      this.fail(new Error('answer without a length'));
      return;
    }
    this.job = null;
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      parsed = null;
    }
    const answer = {
      status,
      body: parsed,
      timing: serverTiming(headers.get('server-timing')),
      fresh: job.fresh,
    };
    settle(job, () => job.resolve(answer));
    if (headers.get('connection') === 'close') this.fail(new Error('closed by the hub'));
    else this.done(this, true);
  }
}

/** A chunked body from `at`, or null while incomplete. */
function chunked(buf: Buffer, at: number): string | null {
  const parts: string[] = [];
  for (let i = at; ; ) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return null;
    const size = Number.parseInt(buf.toString('latin1', i, eol), 16);
    if (size === 0) return buf.indexOf('\r\n', eol + 2) < 0 ? null : parts.join('');
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.toString('utf8', eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/** `post(path, secret, body, timeoutMs)` over at most `maxSockets` kept-alive connections. */
export function leanPoster(hubUrl: string, maxSockets = 256) {
  const base = new URL(hubUrl);
  const port = Number(base.port);
  /** Idle connections, the longest idle first. */
  const free: Conn[] = [];
  const queue: Job[] = [];
  let open = 0;
  const done = (c: Conn, ok: boolean) => {
    if (!ok) {
      const i = free.indexOf(c);
      if (i >= 0) free.splice(i, 1);
      open--;
    }
    let job = queue.shift();
    while (job?.settled) job = queue.shift();
    if (!job) {
      if (ok) free.push(c);
      return;
    }
    if (ok) c.send(job);
    else start(job);
  };
  const start = (job: Job) => {
    const c = free.shift();
    if (c) return c.send(job);
    if (open >= maxSockets) return void queue.push(job);
    open++;
    job.fresh = true;
    new Conn(net.connect(port, base.hostname), done).send(job);
  };
  return (path: string, secret: string, body: unknown, timeoutMs = 3000) =>
    new Promise<Answer>((resolve, reject) => {
      const json = JSON.stringify(body);
      const data = `POST ${path} HTTP/1.1\r\nhost: ${base.host}\r\nauthorization: Bearer ${secret}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
      const job: Job = { data, fresh: false, settled: false, conn: null, resolve, reject, timer: undefined };
      // As a real agent: the timeout runs from the call, waiting for a connection included. A
      // connection still carrying the request is torn down (its answer would be the next one's).
      job.timer = setTimeout(() => {
        settle(job, () => reject(new Error('timeout')));
        if (job.conn?.job === job) job.conn.fail(new Error('timeout'));
      }, timeoutMs);
      start(job);
    });
}
