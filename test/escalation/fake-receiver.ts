/**
 * A fake PagerDuty Events API v2 / webhook receiver at the wire: a loopback HTTP server that
 * records every request (headers and raw body) and answers from a script (default 202).
 * `hold()` makes it accept requests without answering (to kill medic mid-delivery).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function fakeReceiver() {
  const received: Received[] = [];
  const script: Answer[] = [];
  let holding = false;
  let delayMs = 0;
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += String(c)));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      received.push({ path: req.url ?? '/', headers: req.headers, raw, body });
      if (holding) {
        held.push(res);
        return;
      }
      const a = script.shift() ?? { status: 202, body: '{"status":"success","message":"Event processed"}' };
      const answer = () => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(a.body ?? '{}');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Answers for the next requests, in order (then 202). */
    answer(...a: Answer[]) {
      script.push(...a);
    },
    hold(on: boolean) {
      holding = on;
    },
    /** Answer every request this long after it arrived (a slow receiver: deliveries overlap). */
    slow(ms: number) {
      delayMs = ms;
    },
    /** PagerDuty requests by event_action. */
    actions: () =>
      received.map((r) => `${r.body.event_action ?? r.body.action}:${r.body.dedup_key ?? r.body.dedupKey}`),
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
