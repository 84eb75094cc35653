/**
 * Dependency storm (issue 18): one dependency (`db`) and 50 dependents, db down for 2 minutes of
 * simulated time. The engine runs for real (SQLite store on a temp file, every decision
 * committed) on a SimulatedClock; a small world model answers the probes and carries out the
 * restarts:
 * - db crashes at t = 10 s; every restart of db before t = 130 s crashes again, the first one
 *   after it comes up;
 * - a dependent holds one connection made when it started (like a pool that never reconnects):
 *   it is healthy only if it started while db was up and db has not gone down since. So every
 *   dependent breaks when db does, a dependent restarted during the outage stays broken, and
 *   only a restart after db is back heals it.
 * Probes every 2 s for every service. The same world runs twice in the same process: with
 * `dependsOn: [db]` (the change) and without (baseline: each dependent by its own policy).
 * Reported: dependent restarts during the outage (goal 0), after it (goal 50: one each), and the
 * simulated time from db healthy to every dependent healthy (runs until 30 min of simulated
 * time). Policy of the dependents: cooldown 10 s, maxRestarts 3 in 600 s, jitter 0.25 (the spread
 * after recovery: up to 2.5 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SimulatedClock } from '../src/clock/clock.js';
import { policySchema } from '../src/core/policy.js';
import type { Effect } from '../src/core/types.js';
import { createEngine } from '../src/engine/engine.js';
import type { ExecResult, Executor, ServiceConfig } from '../src/engine/types.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/sqlite.js';
import { report } from './report.js';

const DEPENDENTS = 50;
const PROBE_MS = 2000;
const CRASH_AT = 10_000;
const OUTAGE_MS = 120_000;
const LIMIT_MS = 30 * 60_000;

interface Result {
  during: number;
  after: number;
  /** Simulated ms from db healthy to all dependents healthy (null: not within the limit). */
  toAllHealthy: number | null;
  wallMs: number;
}

async function storm(withDeps: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-storm-'));
  const clock = new SimulatedClock();
  const t0 = clock.now();
  const store = openStore(join(dir, 'medic.db'));
  const dbPolicy = policySchema.parse({
    failureThreshold: 1,
    startupGraceSec: 5,
    cooldownSec: 5,
    maxRestarts: 30,
    windowSec: 600,
    backoff: { initialSec: 1, factor: 1, maxSec: 1 },
  });
  const depPolicy = policySchema.parse({
    failureThreshold: 2,
    cooldownSec: 10,
    maxRestarts: 3,
    windowSec: 600,
    jitter: 0.25,
  });
  const names = Array.from({ length: DEPENDENTS }, (_, i) => `svc-${i}`);
  const services: ServiceConfig[] = [
    { name: 'db', unit: 'db.service', policy: dbPolicy },
    ...names.map((name) => ({
      name,
      unit: `${name}.service`,
      policy: depPolicy,
      ...(withDeps ? { dependsOn: ['db'] } : {}),
    })),
  ];
  // The world: when each process last started, and since when db has been up (null: down).
  const startedAt = new Map<string, number>(services.map((s) => [s.name, t0]));
  let dbUpSince: number | null = t0;
  const restarts: { service: string; at: number }[] = [];
  const executor: Executor = {
    async execute(svc: ServiceConfig, effect: Effect): Promise<ExecResult> {
      if (effect.type !== 'restart') return { ok: true };
      const at = clock.now();
      restarts.push({ service: svc.name, at });
      startedAt.set(svc.name, at);
      if (svc.name === 'db') dbUpSince = at >= t0 + CRASH_AT + OUTAGE_MS ? at : null;
      return { ok: true };
    },
  };
  const healthy = (name: string): boolean => {
    if (name === 'db') return dbUpSince !== null;
    return dbUpSince !== null && startedAt.get(name)! >= dbUpSince;
  };
  const silent = new Writable({ write: (_c, _e, cb) => cb() });
  const engine = await createEngine({
    store,
    services,
    executor,
    clock,
    logger: createLogger('warn', silent),
    node: 'bench',
  });
  const started = performance.now();
  let dbHealthyAt: number | null = null;
  let allHealthyAt: number | null = null;
  for (let t = 0; t <= LIMIT_MS && allHealthyAt === null; t += PROBE_MS) {
    clock.advanceTo(t0 + t);
    if (t === CRASH_AT) dbUpSince = null; // db crashes; its dependents' connections die with it
    for (const s of services) {
      const ok = healthy(s.name);
      await engine.submit(s.name, { type: ok ? 'probe_ok' : 'probe_failed' }, { source: 'probe' });
    }
    await engine.idle();
    const now = clock.now();
    if (dbHealthyAt === null && t > CRASH_AT && healthy('db')) dbHealthyAt = now;
    if (dbHealthyAt !== null && names.every(healthy)) allHealthyAt = now;
  }
  const wallMs = performance.now() - started;
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const recovered = dbHealthyAt ?? Number.POSITIVE_INFINITY;
  const deps = restarts.filter((r) => r.service !== 'db');
  return {
    during: deps.filter((r) => r.at < recovered).length,
    after: deps.filter((r) => r.at >= recovered).length,
    toAllHealthy: allHealthyAt === null || dbHealthyAt === null ? null : allHealthyAt - dbHealthyAt,
    wallMs,
  };
}

export async function run(): Promise<void> {
  const base = await storm(false);
  const deps = await storm(true);
  const baseline = (value: number) => ({ name: 'no dependsOn', value });
  report({
    bench: 'storm',
    metric: 'dependent restarts during the 2-min outage',
    value: deps.during,
    unit: 'restarts',
    baseline: baseline(base.during),
    goal: '0',
  });
  report({
    bench: 'storm',
    metric: 'dependent restarts after db recovered',
    value: deps.after,
    unit: 'restarts',
    baseline: baseline(base.after),
    goal: `${DEPENDENTS}`,
  });
  const sec = (ms: number | null) => (ms === null ? Number.NaN : ms / 1000);
  report({
    bench: 'storm',
    metric: 'db healthy → all 50 dependents healthy (sim.)',
    value: sec(deps.toAllHealthy),
    unit: 's',
    baseline: baseline(sec(base.toAllHealthy)),
  });
  report({
    bench: 'storm',
    metric: 'wall time of the simulated run',
    value: deps.wallMs,
    unit: 'ms',
    baseline: baseline(base.wallMs),
  });
}
