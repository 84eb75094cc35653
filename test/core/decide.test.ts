/** Example-based tests: one per transition of the state machine (docs/CORE.md has the table). */
import { describe, expect, it } from 'vitest';
import type { CircuitOpenState, HalfOpenState } from '../../src/core/types.js';
import { T0 } from './arbitraries.js';
import { alice, policyOf, Sim } from './sim.js';

const fail = { type: 'probe_failed' } as const;
const ok = { type: 'probe_ok' } as const;
const tick = { type: 'tick' } as const;
const crash = { type: 'exited', code: 1 } as const;

/** Default policy, driven until the circuit opens (3 restarts, the 4th wish opens it). */
function openCircuitSim(policy = policyOf()): Sim {
  const sim = new Sim(policy);
  sim.repeat(0, 3, fail);
  for (let i = 0; i < 10 && sim.state.tag !== 'circuit_open'; i++) sim.wake();
  expect(sim.state.tag).toBe('circuit_open');
  return sim;
}

describe('healthy', () => {
  it('counts failed probes below failureThreshold without restarting', () => {
    const sim = new Sim();
    expect(sim.at(0, fail)).toMatchObject({ decision: 'failure_counted', taken: false, effects: [] });
    expect(sim.at(10, fail).decision).toBe('failure_counted');
    expect(sim.state).toMatchObject({ tag: 'healthy', failures: 2 });
  });

  it('restarts after failureThreshold consecutive failed probes', () => {
    const sim = new Sim();
    const d = sim.repeat(0, 3, fail);
    expect(d).toMatchObject({ decision: 'restart', taken: true });
    expect(d.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: false }]);
    expect(sim.state).toMatchObject({ tag: 'restarting', graceUntil: T0 + 32_000, probe: false });
    expect(sim.state.churn).toMatchObject({ window: [T0 + 2000], totalRestarts: 1, backoffLevel: 1 });
  });

  it('resets the failure count when a probe passes in between', () => {
    const sim = new Sim();
    sim.at(0, fail);
    sim.at(1, fail);
    expect(sim.at(2, ok).decision).toBe('noop');
    expect(sim.at(3, fail).decision).toBe('failure_counted');
  });

  it('restarts at once when the service crashes, without waiting for failureThreshold', () => {
    const sim = new Sim();
    expect(sim.at(0, crash).decision).toBe('restart');
  });

  it('treats a clean exit (code 0) as neither churn nor a reason to restart', () => {
    const sim = new Sim();
    const d = sim.at(0, { type: 'exited', code: 0 });
    expect(d).toMatchObject({ decision: 'clean_exit', taken: false, effects: [] });
    expect(d.next.churn.window).toEqual([]);
    expect(d.next.tag).toBe('healthy');
  });

  it('opens the circuit at once on exit code 78 (EX_CONFIG), stopping the unit', () => {
    const sim = new Sim();
    const d = sim.at(0, { type: 'exited', code: 78 });
    expect(d.decision).toBe('circuit_opened');
    expect(d.effects).toEqual([{ type: 'stop', reason: 'hard_stop' }]);
    expect(sim.state).toMatchObject({ tag: 'circuit_open', cause: 'fatal_exit', reopensAt: T0 + 900_000 });
    expect(sim.state.churn.circuitOpens).toBe(1);
  });

  it('answers noop to a tick and to a passing probe', () => {
    const sim = new Sim();
    expect(sim.at(0, tick).decision).toBe('noop');
    expect(sim.at(1, ok).decision).toBe('noop');
  });
});

describe('restarting', () => {
  it('ignores failed probes inside the startup grace and calls the restart failed when the grace ends', () => {
    const sim = new Sim();
    sim.repeat(0, 3, fail); // restart at 2s, grace until 32s
    expect(sim.at(10, fail).decision).toBe('failure_counted');
    expect(sim.at(31, tick).decision).toBe('noop');
    const d = sim.at(32, tick);
    expect(d).toMatchObject({ decision: 'restart_failed', effects: [] });
    // cooldown runs from the restart (2s) for cooldownSec 60
    expect(sim.state).toMatchObject({ tag: 'cooldown', until: T0 + 62_000, cause: 'cooldown' });
  });

  it('recovers to healthy when a probe passes after a restart', () => {
    const sim = new Sim();
    sim.repeat(0, 3, fail);
    expect(sim.at(12, ok).decision).toBe('recovered');
    expect(sim.state).toMatchObject({ tag: 'healthy', failures: 0, healthySince: T0 + 12_000 });
  });

  it('treats a failed restart command as a failed restart', () => {
    const sim = new Sim();
    sim.repeat(0, 3, fail);
    expect(sim.at(3, { type: 'restart_failed', detail: 'unit not found' }).decision).toBe('restart_failed');
    expect(sim.state.tag).toBe('cooldown');
  });

  it('records a successful restart command and keeps waiting for a passing probe', () => {
    const sim = new Sim();
    sim.repeat(0, 3, fail);
    expect(sim.at(3, { type: 'restart_succeeded' })).toMatchObject({
      decision: 'restart_succeeded',
      taken: false,
    });
    expect(sim.state.tag).toBe('restarting');
  });

  it('restarts again right away when the grace is longer than the delay', () => {
    const sim = new Sim(policyOf({ startupGraceSec: 120, cooldownSec: 30, backoff: { initialSec: 10 } }));
    sim.at(0, crash);
    expect(sim.wake().decision).toBe('restart');
  });
});

describe('cooldown and backoff', () => {
  it('blocks restarts during the cooldown and counts them as skip_cooldown', () => {
    const sim = new Sim();
    sim.at(0, crash); // restart 1 at 0
    sim.at(1, crash); // restart failed → cooldown until 60
    const d = sim.at(30, crash);
    expect(d).toMatchObject({ decision: 'skip_cooldown', taken: false, effects: [] });
    expect(sim.state.churn.blocked).toEqual({ skip_cooldown: 1 });
  });

  it('restarts on the tick at the end of the cooldown', () => {
    const sim = new Sim();
    sim.at(0, crash);
    sim.at(1, crash);
    expect(sim.at(59.999, tick).decision).toBe('noop');
    expect(sim.at(60, tick).decision).toBe('restart');
  });

  it('uses skip_backoff once the backoff delay exceeds the cooldown', () => {
    // cooldown 10s; backoff 10, 20, 40 ...: after the 2nd restart the delay is 20s (backoff).
    const sim = new Sim(policyOf({ cooldownSec: 10, startupGraceSec: 5, maxRestarts: 5 }));
    sim.at(0, crash);
    sim.at(1, crash);
    expect(sim.state).toMatchObject({ tag: 'cooldown', until: T0 + 10_000, cause: 'cooldown' });
    expect(sim.wake().decision).toBe('restart'); // restart 2 at 10s
    sim.at(11, crash);
    expect(sim.state).toMatchObject({ tag: 'cooldown', until: T0 + 30_000, cause: 'backoff' });
    expect(sim.at(20, fail).decision).toBe('skip_backoff');
  });

  it('goes back to healthy when a probe passes during the cooldown', () => {
    const sim = new Sim();
    sim.at(0, crash);
    sim.at(1, crash);
    expect(sim.at(20, ok).decision).toBe('recovered');
    expect(sim.state.tag).toBe('healthy');
  });

  it('resets the backoff run after stableSec of health', () => {
    const sim = new Sim(policyOf({ stableSec: 100 }));
    sim.at(0, crash);
    sim.at(5, ok);
    expect(sim.state.churn.backoffLevel).toBe(1);
    sim.at(104, ok);
    expect(sim.state.churn.backoffLevel).toBe(1);
    sim.at(105, ok);
    expect(sim.state.churn.backoffLevel).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens the circuit after 3 restarts within 10 minutes', () => {
    const sim = openCircuitSim();
    const restarts = sim.log.filter((d) => d.decision === 'restart');
    expect(restarts).toHaveLength(3);
    const opened = sim.log.at(-1)!;
    expect(opened).toMatchObject({ decision: 'circuit_opened', taken: true });
    expect(opened.effects).toEqual([{ type: 'stop', reason: 'hard_stop' }]);
    expect(sim.state).toMatchObject({ cause: 'churn', openSec: 900 });
    expect(sim.state.churn.window).toHaveLength(3);
    expect(sim.sec).toBeLessThan(600);
  });

  it('does not stop the unit when circuit.hardStop is false', () => {
    const sim = openCircuitSim(policyOf({ circuit: { hardStop: false } }));
    expect(sim.log.at(-1)!.effects).toEqual([]);
  });

  it('refuses restarts while open and counts them as skip_circuit_open', () => {
    // hardStop off: the unit still runs (systemd's Restart= may start it), so a crash wants a restart.
    const sim = openCircuitSim(policyOf({ circuit: { hardStop: false } }));
    const d = sim.feed(crash);
    expect(d).toMatchObject({ decision: 'skip_circuit_open', effects: [] });
    expect(sim.state.churn.blocked.skip_circuit_open).toBe(1);
  });

  it('does not count probes of a unit it stopped on purpose (hard stop) as restart attempts', () => {
    const sim = openCircuitSim();
    expect(sim.state).toMatchObject({ tag: 'circuit_open', stopped: true });
    const failures = sim.state.failures;
    const decisions = [sim.feed(crash), ...Array.from({ length: 5 }, () => sim.feed(fail))];
    expect(decisions.every((d) => d.decision === 'noop' || d.decision === 'failure_counted')).toBe(true);
    expect(sim.state.churn.blocked).toEqual({});
    expect(sim.state.failures).toBe(Math.max(failures, sim.policy.failureThreshold));
    expect(sim.feed(fail)).toMatchObject({ decision: 'noop', next: sim.state }); // nothing changes any more
    // A forced restart starts the unit again: from then on its failures are restart wishes.
    sim.feed({ type: 'force_restart', actor: 'alice', reason: 'try' });
    expect(sim.state).not.toHaveProperty('stopped');
    expect(sim.feed(crash).decision).toBe('skip_circuit_open');
  });

  it('keeps the hard-stop mark through a hold, and refuses nothing while held and stopped', () => {
    const sim = openCircuitSim();
    sim.feed({ type: 'hold', ttlSec: 60, ...alice });
    expect(sim.state).toMatchObject({ tag: 'held', circuit: { stopped: true } });
    expect(sim.feed(crash).decision).not.toBe('skip_held');
    sim.feed({ type: 'release', ...alice });
    expect(sim.state).toMatchObject({ tag: 'circuit_open', stopped: true });
  });

  it('goes half-open when openSec has passed', () => {
    const sim = openCircuitSim();
    const open = sim.state as CircuitOpenState;
    sim.now = open.reopensAt - 1;
    expect(sim.feed(tick).decision).toBe('noop');
    sim.now = open.reopensAt;
    expect(sim.feed(tick)).toMatchObject({ decision: 'circuit_half_open', taken: true });
    expect(sim.state).toMatchObject({ tag: 'half_open', probeUsed: false });
  });

  it('keeps the circuit open past openSec while the churn window is still full', () => {
    // openSec 60 < windowSec 600: half-open waits until a probe restart would fit the window.
    const sim = openCircuitSim(policyOf({ circuit: { openSec: 60 } }));
    const open = sim.state as CircuitOpenState;
    const firstRestart = open.churn.window[0];
    expect(open.reopensAt).toBe(firstRestart + 600_000);
  });

  it('closes after a successful half-open probe restart and stableSec of health, resetting backoff', () => {
    const sim = openCircuitSim();
    sim.wake(); // half-open
    const probe = sim.feed(fail);
    expect(probe.decision).toBe('restart');
    expect(probe.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: true }]);
    sim.now += 5000;
    expect(sim.feed(ok).decision).toBe('recovered');
    expect(sim.state).toMatchObject({ tag: 'half_open', probeUsed: true });
    const closed = sim.wake();
    expect(closed.decision).toBe('circuit_closed');
    expect(sim.state.tag).toBe('healthy');
    expect(sim.state.churn.backoffLevel).toBe(0);
  });

  it('re-opens with openSec doubled when the probe restart fails, capped at maxOpenSec', () => {
    const sim = openCircuitSim(policyOf({ circuit: { openSec: 900, maxOpenSec: 2000 } }));
    const openSecs: number[] = [];
    for (let i = 0; i < 3; i++) {
      sim.wake(); // half-open
      expect(sim.feed(crash).decision).toBe('restart');
      expect(sim.wake().decision).toBe('circuit_opened'); // grace expires failing
      const open = sim.state as CircuitOpenState;
      expect(open.cause).toBe('probe_failed');
      openSecs.push(open.openSec);
    }
    expect(openSecs).toEqual([1800, 2000, 2000]);
  });

  it('re-opens when the service fails again after its probe restart came up', () => {
    const sim = openCircuitSim();
    sim.wake();
    sim.feed(fail);
    sim.now += 5000;
    sim.feed(ok);
    sim.now += 5000;
    expect(sim.feed(crash).decision).toBe('circuit_opened');
    expect((sim.state as CircuitOpenState).openSec).toBe(1800);
  });

  it('issues one probe restart (probe: true) when an operator approves', () => {
    const sim = openCircuitSim();
    const d = sim.feed({ type: 'approve', ...alice });
    expect(d).toMatchObject({ decision: 'restart_approved', taken: true });
    expect(d.effects).toEqual([{ type: 'restart', initiator: 'approved', probe: true }]);
    expect(sim.state).toMatchObject({ tag: 'restarting', probe: true, approvedBy: 'alice' });
    sim.now += 3000;
    sim.feed(ok);
    expect((sim.state as HalfOpenState).approvedBy).toBe('alice');
    expect(sim.feed({ type: 'approve', ...alice }).decision).toBe('not_pending');
  });

  it('closes the circuit on reset_circuit but keeps the restart history in the window', () => {
    const sim = openCircuitSim();
    const d = sim.feed({ type: 'reset_circuit', ...alice });
    expect(d).toMatchObject({ decision: 'circuit_closed', taken: true });
    expect(sim.state).toMatchObject({ tag: 'healthy', failures: 0 });
    expect(sim.state.churn.window).toHaveLength(3);
    expect(sim.state.churn.backoffLevel).toBe(0);
    // The window is still full, so the next automatic restart wish opens the circuit again.
    sim.now += 1000;
    expect(sim.feed(crash).decision).toBe('circuit_opened');
  });
});

describe('operator commands', () => {
  it('answers not_pending to approve, release and reset_circuit when there is nothing to act on', () => {
    const sim = new Sim();
    for (const type of ['approve', 'release', 'reset_circuit'] as const) {
      const before = sim.state;
      const d = sim.at(0, { type, ...alice });
      expect(d).toMatchObject({ decision: 'not_pending', taken: false, effects: [] });
      expect(d.next).toBe(before);
    }
  });

  it('refuses restarts while held, counts them, and returns to healthy when released', () => {
    const sim = new Sim();
    expect(sim.at(0, { type: 'hold', ttlSec: 3600, ...alice })).toMatchObject({
      decision: 'hold_set',
      taken: true,
    });
    sim.at(1, fail);
    sim.at(2, fail);
    expect(sim.at(3, fail)).toMatchObject({ decision: 'skip_held', effects: [] });
    expect(sim.at(4, crash).decision).toBe('skip_held');
    expect(sim.state.churn.blocked).toEqual({ skip_held: 2 });
    expect(sim.at(5, { type: 'release', ...alice }).decision).toBe('hold_released');
    expect(sim.state).toMatchObject({ tag: 'healthy', failures: 0 });
  });

  it('returns to the open circuit after a hold set while the circuit was open', () => {
    const sim = openCircuitSim();
    const open = sim.state as CircuitOpenState;
    sim.feed({ type: 'hold', ttlSec: 60, ...alice });
    sim.now += 1000;
    expect(sim.feed({ type: 'release', ...alice }).decision).toBe('hold_released');
    expect(sim.state).toMatchObject({
      tag: 'circuit_open',
      reopensAt: open.reopensAt,
      openSec: open.openSec,
    });
  });

  it('expires a hold on the tick at its end', () => {
    const sim = new Sim();
    sim.at(0, { type: 'hold', ttlSec: 60, ...alice });
    expect(sim.at(59, tick).decision).toBe('noop');
    expect(sim.wake()).toMatchObject({ decision: 'hold_expired', taken: true });
    expect(sim.sec).toBe(60);
    expect(sim.state.tag).toBe('healthy');
  });

  it('replaces a hold when a new one is set', () => {
    const sim = new Sim();
    sim.at(0, { type: 'hold', ttlSec: 60, ...alice });
    sim.at(10, { type: 'hold', ttlSec: 600, actor: 'bob', reason: 'longer' });
    expect(sim.state).toMatchObject({ tag: 'held', actor: 'bob', until: T0 + 610_000 });
  });

  it('still executes a forced restart while held and counts it as churn', () => {
    const sim = new Sim();
    sim.at(0, { type: 'hold', ttlSec: 60, ...alice });
    const d = sim.at(1, { type: 'force_restart', ...alice });
    expect(d.effects).toEqual([{ type: 'restart', initiator: 'forced', probe: false }]);
    expect(sim.state.tag).toBe('held');
    expect(sim.state.churn.window).toEqual([T0 + 1000]);
  });

  it('lets a forced restart fill the window, so the next automatic wish opens the circuit', () => {
    const sim = new Sim();
    for (let i = 0; i < 3; i++) sim.at(i * 100, { type: 'force_restart', ...alice });
    sim.at(300, ok);
    expect(sim.at(400, crash).decision).toBe('circuit_opened');
  });
});

describe("systemd's own restarts", () => {
  it('counts them in the same window and opens the circuit when they exceed maxRestarts', () => {
    const sim = new Sim();
    expect(sim.at(0, { type: 'external_restart', count: 2 }).decision).toBe('external_restart');
    expect(sim.state).toMatchObject({ tag: 'restarting', initiator: 'external' });
    sim.at(5, ok);
    expect(sim.at(10, { type: 'external_restart', count: 1 }).decision).toBe('external_restart');
    const d = sim.at(20, { type: 'external_restart', count: 1 });
    expect(d.decision).toBe('circuit_opened');
    expect(d.effects).toEqual([{ type: 'stop', reason: 'hard_stop' }]);
  });

  it('stops medic from adding its own restarts once systemd used the budget', () => {
    const sim = new Sim();
    sim.at(0, { type: 'external_restart', count: 3 });
    expect(sim.at(40, crash).decision).toBe('circuit_opened');
  });
});
