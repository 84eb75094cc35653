/**
 * Replay speed (issue 7): a week of recorded inputs for 100 services (≥ 1M inputs) replayed
 * through decide() under the active and a candidate policy, side by side (compare.ts, what
 * `medic policy apply` does), and under one policy (replay.ts).
 * Baseline, same run: iterating the same inputs and touching each one without decide().
 * The inputs are generated in memory (not read from SQLite) so the figure is replay's own.
 */
import { policySchema } from '../src/core/policy.js';
import type { Input } from '../src/core/types.js';
import { compareService } from '../src/rollout/compare.js';
import { replay } from '../src/rollout/replay.js';
import { report } from './report.js';

const SERVICES = 100;
const WEEK_MS = 7 * 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** A deterministic PRNG (mulberry32), so every run replays the same history. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One probe every 60 s for a week; unhealthy spells of a few minutes, crashes now and then. */
function history(seed: number): { at: number; input: Input }[] {
  const rand = rng(seed);
  const out: { at: number; input: Input }[] = [];
  let sick = 0;
  for (let at = T0; at < T0 + WEEK_MS; at += 60_000) {
    if (sick === 0 && rand() < 0.004) sick = 2 + Math.floor(rand() * 20);
    if (sick > 0) {
      sick--;
      out.push({ at, input: rand() < 0.2 ? { type: 'exited', code: 1 } : { type: 'probe_failed' } });
      if (rand() < 0.1) out.push({ at: at + 500, input: { type: 'restart_succeeded' } });
    } else out.push({ at, input: { type: 'probe_ok' } });
  }
  return out;
}

export async function run(): Promise<void> {
  const histories = Array.from({ length: SERVICES }, (_, i) => history(i + 1));
  const total = histories.reduce((n, h) => n + h.length, 0);
  const active = policySchema.parse({});
  const candidate = policySchema.parse({ maxRestarts: 2, cooldownSec: 120 });

  let t = performance.now();
  let sink = 0;
  for (const h of histories) for (const rec of h) sink += rec.at + rec.input.type.length;
  const baseSec = (performance.now() - t) / 1000;

  t = performance.now();
  let decisions = 0;
  for (const h of histories) decisions += replay(h, active).steps.length;
  const oneSec = (performance.now() - t) / 1000;

  t = performance.now();
  let restarts = 0;
  for (const [i, h] of histories.entries()) {
    const c = compareService(`svc${i}`, h, active, candidate);
    restarts += c.active.restarts + c.candidate.restarts;
  }
  const bothSec = (performance.now() - t) / 1000;
  if (sink === 0 || decisions === 0 || restarts < 0) throw new Error('unreachable');

  const base = { name: 'iterate inputs, no decide()', value: total / baseSec };
  report({ bench: 'replay', metric: `inputs (${SERVICES} services × 1 week)`, value: total, unit: 'inputs' });
  report({
    bench: 'replay',
    metric: 'replay, one policy',
    value: total / oneSec,
    unit: 'inputs/s',
    baseline: base,
  });
  report({ bench: 'replay', metric: 'replay, one policy: seconds', value: oneSec, unit: 's' });
  report({
    bench: 'replay',
    metric: 'policy apply gate: active vs candidate',
    value: total / bothSec,
    unit: 'inputs/s',
    baseline: base,
  });
  report({
    bench: 'replay',
    metric: 'policy apply gate: seconds',
    value: bothSec,
    unit: 's',
    goal: 'seconds',
  });
}
