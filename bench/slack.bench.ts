/**
 * Slack bot benchmarks (issue 6), offline against the fake Slack Web API:
 *
 * 1. Button-click ack latency: 20 concurrent signed Approve clicks (form-encoded block_actions)
 *    to /slack/events on medic's real HTTP server, many rounds; p50/p99 of the HTTP response
 *    time. Baseline: a bare node HTTP handler that reads the body and answers 200, same load.
 *    Goal p99 ≤ 50 ms (Slack's limit is 3 s).
 * 2. Crash → Slack message: engine.submit of an exit that opens the circuit → the fake Slack
 *    receives the incident's chat.postMessage (through the engine, store, GraphQL subscription,
 *    re-read, Block Kit, per-channel queue with the 1 msg/s spacing). Goal ≤ 1 s.
 *    Baseline: one chat.postMessage round trip to the fake. The spacing runs on medic's clock,
 *    which is the harness's SimulatedClock: between incidents the bench moves it (a quiet
 *    channel), and lets the thread notes out by moving it a second at a time (drain).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { signV0 } from '../bot/verify.js';
import {
  buttonValue,
  type Harness,
  OPERATOR,
  openCircuit,
  SECRET,
  settle,
  startHarness,
} from '../test/bot/harness.js';
import { blockActions, FORM } from '../test/bot/slack-requests.js';
import { report } from './report.js';

const CONCURRENCY = 20;
const ROUNDS = 15;
const CRASHES = 5;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * The clicks come from a separate node process, so the server's post-ack work (GraphQL, store,
 * Slack calls) cannot delay the client's own reading of the responses: the figure is the time
 * Slack would wait for the ack.
 */
const CLIENT = `
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  const { url, requests } = JSON.parse(line);
  const out = await Promise.all(requests.map(async (r) => {
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers: r.headers, body: r.body });
    await res.text();
    return [res.status, performance.now() - t];
  }));
  process.stdout.write(JSON.stringify(out) + '\\n');
}`;

interface Clicker {
  round(
    url: string,
    requests: Array<{ body: string; headers: Record<string, string> }>,
  ): Promise<Array<[number, number]>>;
  close(): void;
}

function startClicker(): Clicker {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async round(url, requests) {
      child.stdin.write(`${JSON.stringify({ url, requests })}\n`);
      const next = await lines.next();
      return JSON.parse(next.value as string) as Array<[number, number]>;
    },
    close: () => child.kill(),
  };
}

async function bareBaseline(clicker: Clicker, bodies: string[]): Promise<number[]> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const requests = bodies.map((body) => ({ body, headers: { 'content-type': FORM } }));
  const times: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const out = await clicker.round(url, requests);
    if (round > 0) times.push(...out.map(([, ms]) => ms)); // round 0 warms up
  }
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  return times;
}

function signed(h: Harness, body: string) {
  const ts = String(h.nowSec());
  return {
    body,
    headers: {
      'content-type': FORM,
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signV0(SECRET, ts, body),
    },
  };
}

async function ackLatency(): Promise<void> {
  const services = Array.from({ length: ROUNDS + 1 }, (_, i) => `svc-${i}`);
  const h = await startHarness({ services, postIntervalMs: 0 });
  const clicker = startClicker();
  try {
    const times: number[] = [];
    let sample: string[] = [];
    for (const [round, service] of services.entries()) {
      await openCircuit(h, service);
      await settle(h);
      const id = buttonValue(h, 'medic_approve')!;
      const bodies = Array.from({ length: CONCURRENCY }, () =>
        blockActions(h.who(OPERATOR), {
          actionId: 'medic_approve',
          value: id,
          responseUrl: h.fake.responseUrl('b'),
        }),
      );
      sample = bodies;
      const out = await clicker.round(
        `${h.url}/slack/events`,
        bodies.map((b) => signed(h, b)),
      );
      if (out.some(([status]) => status !== 200)) throw new Error(`click failed: ${out.map(([s]) => s)}`);
      if (round > 0) times.push(...out.map(([, ms]) => ms)); // round 0 warms up
      await settle(h);
    }
    const approved = h.restarts.filter(
      (r) => r.effect.type === 'restart' && r.effect.initiator === 'approved',
    );
    if (approved.length !== services.length)
      throw new Error(`expected ${services.length} restarts, got ${approved.length}`);
    const base = await bareBaseline(clicker, sample);
    report({
      bench: 'slack',
      metric: `click ack p50 (${CONCURRENCY} concurrent)`,
      value: pct(times, 50),
      unit: 'ms',
      baseline: { name: 'bare http 200', value: pct(base, 50) },
    });
    report({
      bench: 'slack',
      metric: `click ack p99 (${CONCURRENCY} concurrent)`,
      value: pct(times, 99),
      unit: 'ms',
      baseline: { name: 'bare http 200', value: pct(base, 99) },
      goal: '≤ 50 ms',
    });
  } finally {
    clicker.close();
    await h.close();
  }
}

/**
 * Lets the bot send what it queued: its posts wait on I/O or on the simulated 1 s spacing, so
 * each round moves the clock a second and awaits the bot idle or the next Slack call.
 */
async function drain(h: Harness): Promise<void> {
  for (let round = 0; round < 100; round++) {
    let idle = false;
    const done = h.bot.idle().then(() => {
      idle = true;
    });
    const call = h.fake.nextCall();
    h.clock.advance(1000);
    await Promise.race([done, call]);
    if (idle) return;
  }
  throw new Error('the bot did not go idle');
}

/** Waits until every committed event reached the bot and everything it caused was sent. */
async function quiet(h: Harness): Promise<void> {
  const newest = () => h.store.listEvents({ order: 'desc', first: 1 }).events[0]?.id ?? 0;
  for (;;) {
    await drain(h);
    const last = newest();
    if (h.bot.tracker.lastEventId >= last) {
      await drain(h);
      if (newest() === last) return;
    } else await new Promise((r) => setTimeout(r, 5)); // the subscription delivers it
  }
}

async function crashToMessage(): Promise<void> {
  const services = Array.from({ length: CRASHES }, (_, i) => `crash-${i}`);
  const h = await startHarness({ services, postIntervalMs: 1000 });
  try {
    const latencies: number[] = [];
    for (const service of services) {
      const t = performance.now();
      await openCircuit(h, service);
      const post = await h.fake.waitFor(
        () =>
          h.fake
            .of('chat.postMessage')
            .find((c) => !c.args.thread_ts && String(c.args.text).startsWith(`${service}:`)),
        5000,
      );
      latencies.push(post.at - t);
      await quiet(h);
      h.clock.advance(1100); // a quiet channel before the next incident (simulated time)
    }
    const t = performance.now();
    const res = await fetch(`${h.fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-medic-test', 'content-type': FORM },
      body: new URLSearchParams({ channel: 'C0BASE', text: 'baseline' }).toString(),
    });
    await res.json();
    const base = performance.now() - t;
    report({
      bench: 'slack',
      metric: 'crash → incident message p50',
      value: pct(latencies, 50),
      unit: 'ms',
      baseline: { name: 'one chat.postMessage', value: base },
    });
    report({
      bench: 'slack',
      metric: 'crash → incident message max',
      value: Math.max(...latencies),
      unit: 'ms',
      baseline: { name: 'one chat.postMessage', value: base },
      goal: '≤ 1000 ms',
    });
  } finally {
    await h.close();
  }
}

export async function run(): Promise<void> {
  await ackLatency();
  await crashToMessage();
}
