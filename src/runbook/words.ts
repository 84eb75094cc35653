/** A policy in plain words, for people reading the runbook during an incident. */
import type { Policy } from '../core/policy.js';

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** Short delays stay in seconds ("60 s"); round longer spans read as minutes or hours. */
export function span(sec: number): string {
  if (sec >= 3600 && sec % 3600 === 0) return plural(sec / 3600, 'hour');
  if (sec >= 600 && sec % 60 === 0) return plural(sec / 60, 'minute');
  return `${sec} s`;
}

/** One sentence per concern, in the order an on-call engineer needs them. */
export function policyInWords(p: Policy): string[] {
  const b = p.backoff;
  const c = p.circuit;
  const backoff =
    b.factor === 1 || b.initialSec === b.maxSec
      ? `a fixed ${b.initialSec} s backoff`
      : `backing off ${b.initialSec} s → ${b.maxSec} s (×${b.factor} per restart)`;
  return [
    `Acts after ${plural(p.failureThreshold, 'consecutive failed probe')} (a crash acts at once); ` +
      `a restarted service gets ${span(p.startupGraceSec)} of startup grace.`,
    `At most ${plural(p.maxRestarts, 'automatic restart')} in ${span(p.windowSec)}, at least ${p.cooldownSec} s apart, ${backoff}.`,
    `After ${span(p.stableSec)} of health the backoff starts over and a half-open circuit closes.`,
    `When the limit is reached the circuit opens for ${span(c.openSec)} (doubling after each failed probe restart, ` +
      `up to ${span(c.maxOpenSec)})${c.hardStop ? ' and the unit is stopped, so systemd’s own Restart= cannot loop' : ''}; ` +
      `exit code 78 (EX_CONFIG) opens it at once.`,
    p.mode === 'shadow'
      ? 'Mode: shadow — decisions are recorded and announced, but medic executes no restart or stop.'
      : 'Mode: enforce — medic executes its decisions.',
  ];
}
