/**
 * What the fleet budget bench's simulated agents share (bench/fleet-budget*.ts): percentiles, a
 * keep-alive JSON poster standing in for every agent (the timeout runs from the call, as an
 * agent's does), and the storm's policy and lease limits.
 */
import http from 'node:http';
import { type Policy, policySchema } from '../src/core/policy.js';

export const SERVICES = 20;
export const MAX_CONCURRENT = Number(process.env.MEDIC_BENCH_BUDGET_MAX ?? 50);

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs JSON over a keep-alive pool (one process stands in for every agent). */
export function poster(hubUrl: string, maxSockets = 256) {
  // Every socket kept (not only 256 free ones) and used in turn (fifo), so none idles past the
  // hub's 5 s keep-alive timeout: a new connection under load may wait for a SYN retransmit.
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets,
    maxFreeSockets: maxSockets,
    scheduling: 'fifo',
  });
  const base = new URL(hubUrl);
  /**
   * `waitHeader`: a header that tells the hub how long this caller still waits, set when a socket
   * is assigned (the request waited for one in this node's pool until then: a real agent has no
   * such pool, its request is sent at once with its whole timeout).
   */
  return (path: string, secret: string, body: unknown, timeoutMs = 3000, waitHeader?: string) =>
    new Promise<{
      status: number;
      body: Record<string, unknown> | null;
      timing: Record<string, number>;
      /** Sent on a new connection (not a kept-alive one). */
      fresh: boolean;
    }>((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${secret}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const timing = serverTiming(res.headers['server-timing']);
            const fresh = !req.reusedSocket;
            try {
              resolve({ status, body: JSON.parse(text), timing, fresh });
            } catch {
              resolve({ status, body: null, timing, fresh });
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      // As a real agent: the timeout runs from the call, waiting for a socket included.
      const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', reject);
      if (!waitHeader) return void req.end(data);
      const calledAt = performance.now();
      req.once('socket', () => {
        req.setHeader(
          waitHeader,
          String(Math.max(0, Math.floor(timeoutMs - (performance.now() - calledAt)))),
        );
        req.end(data);
      });
    });
}

/** A `Server-Timing` header (src/hub/server-timing.ts) as stage → ms, `batch` → its size, `tries` → its reads. */
export function serverTiming(value: string | string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of String(value ?? '').split(',')) {
    const m = /^\s*([\w-]+)\s*;\s*dur=([0-9.]+)/.exec(part);
    if (m) out[m[1]!] = Number(m[2]);
    // `tx;dur=…;desc="batch of N"`: the batch the request went in (as a stage named `batch`).
    const b = /desc="batch of ([0-9]+)/.exec(part);
    if (b) out.batch = Number(b[1]);
    // `desc="batch of N tries T"`: how many reads the batch took (a conflict costs one more).
    const t = /desc="[^"]*tries ([0-9]+)"/.exec(part);
    if (t) out.tries = Number(t[1]);
  }
  return out;
}

export const limitsOf = (policy: Policy) => ({
  maxConcurrent: policy.budget!.maxConcurrent,
  maxPerWindow: policy.budget!.maxPerWindow,
  windowSec: policy.budget!.windowSec,
  leaseTtlSec: Math.ceil(2 * policy.startupGraceSec + 60),
});

export function stormPolicy(group: string): Policy {
  return policySchema.parse({
    failureThreshold: 1,
    startupGraceSec: 5,
    cooldownSec: 1,
    backoff: { initialSec: 1, factor: 1, maxSec: 1 },
    maxRestarts: 50,
    windowSec: 3600,
    budget: {
      group,
      maxConcurrent: MAX_CONCURRENT,
      maxPerWindow: 100_000,
      windowSec: 300,
      onHubUnreachable: 'wait',
      timeoutMs: 3000,
    },
  });
}
