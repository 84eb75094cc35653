/**
 * Recording real histories for replay tests: the real engine and SQLite store (test/engine
 * rig), a SimulatedClock and a recording executor. Time is advanced deadline by deadline, so
 * every engine tick is decided exactly at nextWakeAt — as a live clock does, give or take ms.
 */

import type { AuditEvent } from '../../src/core/audit.js';
import { nextWakeAt } from '../../src/core/deadline.js';
import type { Input } from '../../src/core/types.js';
import type { Rig } from '../engine/helpers.js';

export { policy, rig } from '../engine/helpers.js';

/** Moves the clock to `target`, letting every tick due on the way commit at its deadline. */
export async function advanceTo(r: Rig, target: number): Promise<void> {
  // The newest event id: a step that commits nothing new ends the loop (nothing was armed).
  const newest = () => r.store.listEvents({ order: 'desc', first: 1 }).events[0]?.id ?? 0;
  for (let guard = 0; guard < 10_000; guard++) {
    await r.engine.idle();
    let next: number | null = null;
    for (const v of r.engine.views()) {
      const wake = nextWakeAt(v.state, v.policy);
      if (wake !== null && wake <= target && (next === null || wake < next)) next = wake;
    }
    if (next === null) break;
    const before = newest();
    // A deadline already due fires now (a live clock runs a 0 ms timer at once).
    r.clock.advanceTo(Math.max(next, r.clock.now()));
    await r.engine.idle();
    if (newest() === before && next <= r.clock.now()) break;
  }
  r.clock.advanceTo(target);
  await r.engine.idle();
}

export interface Timed {
  afterMs: number;
  input: Input;
}

/** Feeds `inputs` to one service, each `afterMs` after the previous one. */
export async function play(r: Rig, service: string, inputs: Timed[]): Promise<void> {
  for (const { afterMs, input } of inputs) {
    await advanceTo(r, r.clock.now() + afterMs);
    await r.engine.submit(service, input);
    await r.engine.idle();
  }
}

/** Every decision event of a service, oldest first. */
export function decisionsOf(r: Rig, service: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  let after: number | undefined;
  for (;;) {
    const page = r.store.listEvents({ service, first: 500, ...(after ? { after } : {}) });
    out.push(...page.events.filter((e) => e.decision !== null));
    if (!page.hasMore) return out;
    after = page.events.at(-1)!.id;
  }
}

/** A crash loop: the service crashes every `everyMs`, is restarted and comes back, `n` times. */
export function crashLoop(n: number, everyMs: number): Timed[] {
  const out: Timed[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ afterMs: everyMs, input: { type: 'exited', code: 1 } });
    out.push({ afterMs: 5_000, input: { type: 'probe_ok' } });
  }
  return out;
}
