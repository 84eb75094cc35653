/**
 * Persisting decisions: the real commit path (`store.commitDecision`: optimistic state update +
 * audit event + one intent, one IMMEDIATE transaction, JSON serialization included) against a
 * raw better-sqlite3 loop writing the same rows with prepared statements, one transaction per
 * decision and JSON pre-serialized (pure SQLite cost). Goal: ≥ 0.5× the raw loop.
 *
 * Both run on a temp file DB with the same pragmas (WAL, busy_timeout, foreign keys), once with
 * synchronous=FULL (medic's default: an fsync per commit) and once with NORMAL (shows the CPU
 * overhead without fsync). Also: p50/p99 commit latency, and engine.submit() end to end
 * (decide + commit + publish + log line) for context. Each measurement runs for a fixed time.
 *
 * Fleet (issue 15): the agent's overhead of shipping to a hub — engine.submit() end to end with
 * the hub shipper running in the same process (reading the committed events back from SQLite,
 * JSON, HTTP to a hub stand-in in a child process that confirms every batch) against the same
 * loop without it, alternating 5 runs each way (goal: ≤ 10 % slower); also this process's CPU
 * per decision both ways (context: steadier than the rate when other work shares the cores).
 * Both loops yield to the event loop every 50 decisions, as a serving agent does between
 * inputs, so the shipper's timers can run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Shipper } from '../src/agent/shipper.js';
import { SimulatedClock, systemClock } from '../src/clock/clock.js';
import { DEFAULT_POLICY } from '../src/core/policy.js';
import type { ServiceState } from '../src/core/types.js';
import { createEngine } from '../src/engine/engine.js';
import { createLogger } from '../src/log.js';
import { openDatabase, type Synchronous } from '../src/store/db.js';
import { openStore } from '../src/store/sqlite.js';
import type { DecisionCommit } from '../src/store/types.js';
import { report } from './report.js';

const BUDGET_MS = 1_500;
/** Alternating runs with and without the shipper, per store setting. */
const PAIRS = 5;
const EFFECTS = [{ type: 'restart', initiator: 'auto', probe: false } as const];

function stateAt(at: number): ServiceState {
  return {
    tag: 'restarting',
    initiator: 'auto',
    issuedAt: at,
    graceUntil: at + 30_000,
    probe: false,
    openSec: 900,
    failures: 3,
    churn: {
      window: [at - 20_000, at],
      totalRestarts: 7,
      blocked: { skip_cooldown: 2 },
      circuitOpens: 1,
      lastRestartAt: at,
      backoffLevel: 2,
    },
  };
}

function commitAt(prev: number, at: number): DecisionCommit {
  return {
    service: 'api',
    unit: 'api.service',
    prev,
    next: stateAt(at),
    policyHash: 'a1b2c3d4e5f60718',
    effects: EFFECTS,
    clock: { monoAt: at, monoOrigin: 'boot' },
    event: {
      at,
      service: 'api',
      kind: 'restart_decided',
      decision: 'restart',
      taken: true,
      input: { type: 'probe_failed', detail: 'GET /health: 503' },
      actor: 'medic',
      reason: '3 consecutive failed probes',
      stateFrom: 'healthy',
      stateTo: 'restarting',
      counters: { restartsInWindow: 2, totalRestarts: 7, blockedAttempts: 2, circuitOpens: 1 },
      effects: EFFECTS,
      mode: 'enforce',
      data: { detail: '3 consecutive failed probes', source: 'probe' },
    },
  };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

interface Meter {
  n: number;
  ns: bigint;
  lat: number[];
}

/** Runs `step(i)` for `ms`, adding count, time and per-step latency (µs) to the meter. */
function slice(m: Meter, ms: number, step: (i: number) => void): void {
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let t = start;
  while (t < end) {
    step(m.n++);
    const now = process.hrtime.bigint();
    m.lat.push(Number(now - t) / 1_000);
    t = now;
  }
  m.ns += t - start;
}

const rate = (m: Meter) => m.n / (Number(m.ns) / 1e9);

function storeAt(dir: string, name: string, sync: Synchronous) {
  return openStore(join(dir, `${name}-${sync}.db`), { synchronous: sync });
}

/** The baseline: the same rows with raw prepared statements, one transaction per decision. */
function rawWriter(dir: string, sync: Synchronous) {
  const { sqlite: db } = openDatabase(join(dir, `raw-${sync}.db`), { synchronous: sync });
  const c = commitAt(0, 1_000);
  const state = JSON.stringify(c.next);
  const e = c.event;
  const [input, counters, effects, data] = [e.input, e.counters, e.effects, e.data].map((v) =>
    JSON.stringify(v),
  );
  const effect = JSON.stringify(EFFECTS[0]);
  db.prepare('INSERT INTO services (name, unit) VALUES (?, ?)').run('api', 'api.service');
  db.prepare(
    'INSERT INTO service_state (service, state, policy_hash, updated_at, version) VALUES (?, ?, ?, ?, 0)',
  ).run('api', state, 'h', 0);
  // The same columns medic writes, the clock anchor included.
  const upd = db.prepare(
    `UPDATE service_state SET state = ?, policy_hash = ?, updated_at = ?, mono_at = ?, mono_origin = ?,
       version = version + 1 WHERE service = ? AND version = ?`,
  );
  const ins = db.prepare(
    `INSERT INTO events (at, service, kind, decision, taken, input, actor, reason, state_from, state_to,
       counters, effects, mode, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const intent = db.prepare(
    'INSERT INTO intents (service, event_id, effect, decided_at) VALUES (?, ?, ?, ?)',
  );
  const tx = db.transaction((i: number) => {
    upd.run(state, 'h', i, i, 'boot', 'api', i);
    const id = ins.run(
      i,
      'api',
      e.kind,
      e.decision,
      1,
      input,
      e.actor,
      e.reason,
      'healthy',
      'restarting',
      counters,
      effects,
      'enforce',
      data,
    ).lastInsertRowid;
    intent.run('api', id, effect, i);
  });
  return { step: (i: number) => tx.immediate(i), close: () => db.close() };
}

/** Real path vs raw loop, alternating short slices so a noisy disk hits both alike. */
function compare(dir: string, sync: Synchronous): { real: Meter; raw: Meter } {
  const store = storeAt(dir, 'store', sync);
  const raw = rawWriter(dir, sync);
  const m = { real: { n: 0, ns: 0n, lat: [] as number[] }, raw: { n: 0, ns: 0n, lat: [] as number[] } };
  for (let k = 0; k < 10; k++) {
    slice(m.raw, BUDGET_MS / 10, raw.step);
    slice(m.real, BUDGET_MS / 10, (i) => store.commitDecision(commitAt(i, 1_000 + i)));
  }
  store.close();
  raw.close();
  m.real.lat.sort((a, b) => a - b);
  m.raw.lat.sort((a, b) => a - b);
  return m;
}

async function engineSubmit(dir: string, sync: Synchronous): Promise<number> {
  const store = storeAt(dir, 'engine', sync);
  const clock = new SimulatedClock();
  const services = [
    { name: 'api', unit: 'api.service', policy: { ...DEFAULT_POLICY, mode: 'shadow' as const } },
  ];
  const executor = { execute: async () => ({ ok: true as const }) };
  const engine = await createEngine({ store, services, executor, clock, logger: createLogger('silent') });
  const inputs = [{ type: 'probe_failed' as const }, { type: 'probe_ok' as const }];
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < BUDGET_MS) {
    clock.advance(500);
    await engine.submit('api', inputs[n++ % 2]);
  }
  const rate = n / ((performance.now() - start) / 1000);
  await engine.close();
  store.close();
  return rate;
}

/** A hub stand-in in its own process: confirms every batch (cursor = its last event id). */
async function sinkHub(): Promise<{ url: string; stop: () => void }> {
  const code = `
    const http = require('node:http');
    const srv = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const b = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const cursor = b.events.length ? b.events[b.events.length - 1].id : (b.after ?? 0);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ cursor, commands: [] }));
      });
    });
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** engine.submit/s for `ms`, yielding every 50 decisions; with a shipper to `hubUrl` when given. */
async function submitLoop(dir: string, name: string, sync: Synchronous, ms: number, hubUrl?: string) {
  const store = storeAt(dir, name, sync);
  const clock = new SimulatedClock();
  const services = [
    { name: 'api', unit: 'api.service', policy: { ...DEFAULT_POLICY, mode: 'shadow' as const } },
  ];
  const executor = { execute: async () => ({ ok: true as const }) };
  const engine = await createEngine({ store, services, executor, clock, logger: createLogger('silent') });
  const shipper = hubUrl
    ? new Shipper({
        hubUrl,
        token: 'medic_bench_token',
        node: 'bench',
        version: 'bench',
        readEvents: (after, first) => store.shippedEventsAfter(after, first),
        views: () => engine.views(),
        storeId: () => store.storeId(),
        clock: systemClock,
        logger: createLogger('silent'),
        intervalMs: 200,
      })
    : null;
  shipper?.start();
  const inputs = [{ type: 'probe_failed' as const }, { type: 'probe_ok' as const }];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  while (performance.now() - start < ms) {
    clock.advance(500);
    await engine.submit('api', inputs[n++ % 2]);
    if (n % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  const rate = n / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu0);
  const cpuPerDecision = (used.user + used.system) / n;
  const shipped = shipper?.status().cursor ?? 0;
  await shipper?.stop();
  const logged = store.listEvents({ first: 1, order: 'desc' }).events[0]?.id ?? 0;
  await engine.close();
  store.close();
  return { rate, shipped, logged, cpuPerDecision };
}

async function shippingOverhead(dir: string, sync: Synchronous): Promise<void> {
  const hub = await sinkHub();
  try {
    const without: number[] = [];
    const withShipper: number[] = [];
    const cpuWithout: number[] = [];
    const cpuWith: number[] = [];
    let shipped = 0;
    let events = 0;
    for (let k = 0; k < PAIRS; k++) {
      const plain = await submitLoop(dir, `plain-${k}`, sync, BUDGET_MS);
      without.push(plain.rate);
      cpuWithout.push(plain.cpuPerDecision);
      const r = await submitLoop(dir, `shipping-${k}`, sync, BUDGET_MS, hub.url);
      withShipper.push(r.rate);
      cpuWith.push(r.cpuPerDecision);
      shipped += r.shipped;
      events += r.logged;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const tag = `synchronous=${sync.toUpperCase()}`;
    report({
      bench: 'store',
      metric: `engine.submit/s while shipping to a hub (${tag}; ${shipped} of ${events} events shipped by the end)`,
      value: mean(withShipper),
      unit: '/s',
      baseline: { name: 'the same loop without the shipper', value: mean(without) },
      goal: '≥ 0.9x (≤ 10 % overhead)',
    });
    // Context, steadier than the rate on a shared machine: this process's CPU per decision (the
    // shipper's reads, JSON and HTTP client included; the hub stand-in runs in another process).
    report({
      bench: 'store',
      metric: `agent CPU per decision while shipping (${tag})`,
      value: mean(cpuWith),
      unit: 'µs',
      baseline: { name: 'the same loop without the shipper', value: mean(cpuWithout) },
    });
  } finally {
    hub.stop();
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-bench-'));
  try {
    for (const sync of ['full', 'normal'] as const) {
      const { real, raw } = compare(dir, sync);
      const tag = `synchronous=${sync.toUpperCase()}`;
      report({
        bench: 'store',
        metric: `decisions persisted/s (${tag})`,
        value: rate(real),
        unit: '/s',
        baseline: { name: 'raw better-sqlite3 loop', value: rate(raw) },
        goal: '≥ 0.5x',
      });
      for (const p of [50, 99]) {
        report({
          bench: 'store',
          metric: `commit latency p${p} (${tag})`,
          value: pct(real.lat, p),
          unit: 'µs',
          baseline: { name: 'raw', value: pct(raw.lat, p) },
        });
      }
      report({
        bench: 'store',
        metric: `engine.submit end to end (${tag})`,
        value: await engineSubmit(dir, sync),
        unit: '/s',
      });
      await shippingOverhead(dir, sync);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
