/**
 * decide() throughput (goal ≥ 1M decisions/s on one core) over two input streams, each 200k
 * inputs for 20 services, generated once with a fixed-seed LCG by driving decide() (so ticks
 * land on real deadlines): passing probes, failure episodes (probe_failed runs, crashes, an
 * occasional exit 78), restart outcomes, ticks, and a few operator commands (hold, release,
 * approve, force_restart). Time moves forward 50–550 ms per input.
 * - mixed: episodes of ~30 inputs — a mostly healthy fleet, passing probes dominate;
 * - failure-heavy: episodes of ~500 inputs — most decisions block, restart or open circuits.
 *
 * Baseline (same run, same stream): `{ ...state, churn: { ...state.churn }, failures + 1 }` per
 * input — the cheapest possible "next state" a function can produce (two object spreads, no
 * logic, no JSON). A healthy probe_ok returns the state unchanged, so on the mixed stream
 * decide() beats the baseline; the failure-heavy ratio is the honest allocation comparison.
 */

import { nextWakeAt } from '../src/core/deadline.js';
import { decide } from '../src/core/decide.js';
import { DEFAULT_POLICY, type Policy } from '../src/core/policy.js';
import { initialState } from '../src/core/state.js';
import type { Input, ServiceState } from '../src/core/types.js';
import { report } from './report.js';

const SERVICES = 20;
const INPUTS = 200_000;

interface Item {
  svc: number;
  at: number;
  input: Input;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Generates the stream by driving decide() once, so ticks land on real deadlines. */
function makeStream(policy: Policy, recoverP: number): Item[] {
  const rnd = lcg(42);
  const states: ServiceState[] = Array.from({ length: SERVICES }, () => initialState());
  const failing = new Array<boolean>(SERVICES).fill(false);
  const items: Item[] = [];
  let now = Date.UTC(2026, 0, 1);
  const op = { actor: 'bench', reason: 'bench' };
  while (items.length < INPUTS) {
    now += 50 + Math.floor(rnd() * 500);
    const svc = Math.floor(rnd() * SERVICES);
    const s = states[svc];
    const r = rnd();
    // Failure episodes: start rarely, last ~30 of the service's inputs.
    if (failing[svc] ? rnd() < recoverP : rnd() < 0.002) failing[svc] = !failing[svc];
    let input: Input;
    const wake = nextWakeAt(s, policy);
    if (wake !== null && wake <= now) input = { type: 'tick' };
    else if (r < 0.004) input = { type: 'hold', ttlSec: 300, ...op };
    else if (r < 0.006) input = { type: 'release', ...op };
    else if (r < 0.008) input = { type: 'approve', ...op };
    else if (r < 0.009) input = { type: 'force_restart', ...op };
    else if (r < 0.0095) input = { type: 'exited', code: 78 };
    else if (r < 0.03) input = { type: 'restart_succeeded' };
    else if (failing[svc]) input = r < 0.1 ? { type: 'exited', code: 1 } : { type: 'probe_failed' };
    else input = { type: 'probe_ok' };
    items.push({ svc, at: now, input });
    states[svc] = decide(s, input, now, policy).next;
  }
  return items;
}

function measure(items: Item[], step: (s: ServiceState, item: Item) => ServiceState, rounds: number): number {
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const states: ServiceState[] = Array.from({ length: SERVICES }, () => initialState());
    const t0 = process.hrtime.bigint();
    for (const item of items) states[item.svc] = step(states[item.svc], item);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, items.length / secs);
  }
  return best;
}

function runStream(label: string, items: Item[], policy: Policy): void {
  const counts = new Map<string, number>();
  const states: ServiceState[] = Array.from({ length: SERVICES }, () => initialState());
  for (const it of items) {
    const d = decide(states[it.svc], it.input, it.at, policy);
    states[it.svc] = d.next;
    counts.set(d.decision, (counts.get(d.decision) ?? 0) + 1);
  }
  const mix = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  console.log(
    `${label} stream: ${items.length} inputs, ${SERVICES} services; ${mix.slice(0, 8).join(', ')}, ...`,
  );
  const spread = (s: ServiceState): ServiceState => ({
    ...s,
    churn: { ...s.churn },
    failures: s.failures + 1,
  });
  const viaDecide = (s: ServiceState, it: Item) => decide(s, it.input, it.at, policy).next;
  measure(items, viaDecide, 2); // warm-up
  measure(items, spread, 2);
  const baseline = measure(items, spread, 5);
  const value = measure(items, viaDecide, 5);
  report({
    bench: 'decide',
    metric: `decide() decisions/s, ${label} (1 core)`,
    value,
    unit: 'dec/s',
    baseline: { name: 'two-object-spread next state', value: baseline },
    goal: '≥ 1,000,000 dec/s',
  });
}

export async function run(): Promise<void> {
  const policy = DEFAULT_POLICY;
  // Mostly healthy fleet: failure episodes of ~30 inputs (passing probes dominate).
  runStream('mixed', makeStream(policy, 0.03), policy);
  // Failure-heavy: episodes of ~500 inputs, so most decisions block, open circuits or restart.
  runStream('failure-heavy', makeStream(policy, 0.002), policy);
}
