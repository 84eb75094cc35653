/**
 * Jitter spreads a herd (issue 16): 1,000 services with the same policy (cooldownSec 60, jitter
 * 0.25) crash, restart, and crash again at the same instant; their second restarts fall over the
 * whole configured range [60 s, 75 s) — no bucket empty, none crowded — and two runs (replays) of
 * the same inputs give the identical histogram, restart for restart.
 */
import { describe, expect, it } from 'vitest';
import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { policySchema } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import { T0 } from './arbitraries.js';

const policy = policySchema.parse({ cooldownSec: 60, jitter: 0.25, windowSec: 3600 });
const SERVICES = 1000;
const BUCKETS = 10;

/** Seconds from the first restart to the second, per service. */
function secondRestartDelays(): number[] {
  const out: number[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const env = { node: `node-${i % 50}`, service: `svc-${i}` };
    const key = { node: env.node, service: env.service };
    let s = decide(initialState(), { type: 'exited', code: 1 }, T0, policy, env).next; // restart 1
    s = decide(s, { type: 'exited', code: 1 }, T0 + 1000, policy, env).next; // crashed again: cooldown
    const at = nextWakeAt(s, policy, key)!;
    const d = decide(s, { type: 'tick' }, at, policy, env);
    expect(d.decision).toBe('restart');
    out.push((at - T0) / 1000);
  }
  return out;
}

function histogram(delays: number[]): number[] {
  const lo = policy.cooldownSec;
  const width = (policy.cooldownSec * policy.jitter) / BUCKETS;
  const h = Array(BUCKETS).fill(0);
  for (const d of delays) h[Math.min(BUCKETS - 1, Math.floor((d - lo) / width))]++;
  return h;
}

describe('jitter over 1,000 services', () => {
  it('spreads the restarts over [cooldown, cooldown × 1.25), identically on every replay', () => {
    const first = secondRestartDelays();
    const second = secondRestartDelays();
    expect(second).toEqual(first);
    for (const d of first) {
      expect(d).toBeGreaterThanOrEqual(60);
      expect(d).toBeLessThan(75);
    }
    const h = histogram(first);
    // Uniform would be 100 per bucket; a fixed hash of the names, so the bounds are not a flake.
    for (const n of h) {
      expect(n).toBeGreaterThan(60);
      expect(n).toBeLessThan(140);
    }
    const rows = h.map(
      (n, i) =>
        `  ${(60 + i * 1.5).toFixed(1)}–${(61.5 + i * 1.5).toFixed(1)} s ${'#'.repeat(Math.round(n / 5))} ${n}`,
    );
    console.log(
      `second restart after a crash, 1,000 services, cooldownSec 60, jitter 0.25:\n${rows.join('\n')}`,
    );
  });
});
