/** recommend(), eventKindOf(), countersOf(), viewOf(), nextWakeAt() and the runbook anchors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/core/audit.js';
import { nextWakeAt } from '../../src/core/deadline.js';
import { countersOf, eventKindOf } from '../../src/core/events.js';
import { recommend } from '../../src/core/recommend.js';
import { allRunbookAnchors, runbookAnchor } from '../../src/core/runbook-anchors.js';
import { initialState } from '../../src/core/state.js';
import { DECISION_CODES, type RecommendedActionCode, type StateName } from '../../src/core/types.js';
import { viewOf } from '../../src/core/view.js';
import { drive, policyArb, stepsArb, T0 } from './arbitraries.js';
import { alice, policyOf, Sim } from './sim.js';

const svc = { name: 'api', unit: 'api.service' };

function circuitOpen(): Sim {
  const sim = new Sim();
  sim.at(0, { type: 'exited', code: 78 });
  return sim;
}

describe('recommend', () => {
  it('asks to inspect the journal and approve or hold when the circuit is open', () => {
    const sim = circuitOpen();
    const r = recommend(sim.state, sim.policy, svc, sim.now);
    expect(r.code).toBe('inspect_and_approve');
    expect(r.summary).toContain('journalctl -u api.service -n 200');
    expect(r.summary).toMatch(/approve one probe restart/);
    expect(r.summary).toMatch(/hold/);
    expect(r.command).toBe('journalctl -u api.service -n 200');
    expect(r.anchor).toBe('action-inspect-and-approve');
  });

  it('names one action per state', () => {
    const expected: Record<StateName, RecommendedActionCode> = {
      healthy: 'none',
      restarting: 'watch_restart',
      cooldown: 'wait_cooldown',
      circuit_open: 'inspect_and_approve',
      half_open: 'watch_probe',
      deferred: 'fix_dependency',
      held: 'review_hold',
      budget_wait: 'wait_fleet_budget',
    };
    fc.assert(
      fc.property(policyArb, stepsArb, (policy, steps) => {
        for (const r of drive(policy, steps)) {
          const a = recommend(r.decision.next, policy, svc, r.at);
          if (a.code !== expected[r.decision.next.tag]) throw new Error(`${r.decision.next.tag} → ${a.code}`);
          if (a.anchor !== runbookAnchor(a.code) || a.summary.includes('\n') || a.command === '') {
            throw new Error(`bad action ${JSON.stringify(a)}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('tells how long the cooldown still runs', () => {
    const sim = new Sim();
    sim.at(0, { type: 'exited', code: 1 });
    sim.at(1, { type: 'exited', code: 1 });
    expect(recommend(sim.state, sim.policy, svc, T0 + 20_000).summary).toContain('in 40s');
  });

  it('names the owner and reason of a hold', () => {
    const sim = new Sim();
    sim.at(0, { type: 'hold', ttlSec: 600, ...alice });
    const r = recommend(sim.state, sim.policy, svc, sim.now);
    expect(r.code).toBe('review_hold');
    expect(r.summary).toContain('alice');
    expect(r.summary).toContain('investigating');
  });
});

describe('runbook anchors', () => {
  it('gives stable, distinct anchors for actions and decisions', () => {
    expect(runbookAnchor('inspect_and_approve')).toBe('action-inspect-and-approve');
    expect(runbookAnchor('skip_circuit_open')).toBe('decision-skip-circuit-open');
    const all = allRunbookAnchors();
    expect(new Set(all).size).toBe(all.length);
    for (const a of all) expect(a).toMatch(/^[a-z][a-z-]+$/);
  });
});

describe('events', () => {
  it('maps every decision code to an audit event kind', () => {
    for (const code of DECISION_CODES) expect(EVENT_KINDS).toContain(eventKindOf(code));
    expect(eventKindOf('restart')).toBe('restart_decided');
    expect(eventKindOf('restart_forced')).toBe('restart_decided');
    expect(eventKindOf('skip_held')).toBe('restart_blocked');
    expect(eventKindOf('circuit_opened')).toBe('circuit_opened');
    expect(eventKindOf('hold_expired')).toBe('hold_expired');
    expect(eventKindOf('restart_failed')).toBe('restart_executed');
    expect(eventKindOf('noop')).toBe('observation');
  });

  it('counts restarts in the window as of now, not as of the last decision', () => {
    const sim = new Sim();
    sim.at(0, { type: 'force_restart', ...alice });
    sim.at(100, { type: 'force_restart', ...alice });
    expect(countersOf(sim.state, T0 + 100_000, sim.policy)).toEqual({
      restartsInWindow: 2,
      totalRestarts: 2,
      blockedAttempts: 0,
      circuitOpens: 0,
    });
    expect(countersOf(sim.state, T0 + 600_000, sim.policy).restartsInWindow).toBe(1);
    expect(countersOf(sim.state, T0 + 700_000, sim.policy).restartsInWindow).toBe(0);
  });
});

describe('view', () => {
  it('projects an open circuit with its churn, pending approval and recommended action', () => {
    const sim = new Sim(policyOf({ circuit: { hardStop: false } }));
    sim.repeat(0, 3, { type: 'probe_failed' });
    for (let i = 0; i < 10 && sim.state.tag !== 'circuit_open'; i++) sim.wake();
    sim.feed({ type: 'probe_failed' });
    const lastDecision = { decision: 'skip_circuit_open', at: sim.now, actor: null, reason: null };
    const v = viewOf({ ...svc, policy: sim.policy, state: sim.state, now: sim.now, lastDecision });
    expect(v.circuit.state).toBe('open');
    expect(v.approvalPending).toBe(true);
    expect(v.churn).toMatchObject({ restartsInWindow: 3, maxRestarts: 3, windowSec: 600, circuitOpens: 1 });
    expect(v.churn.blockedByReason).toMatchObject({ skip_circuit_open: 1 });
    expect(v.recommended.code).toBe('inspect_and_approve');
    expect(v.hold).toBeNull();
    expect(v.lastDecision).toBe(lastDecision);
  });

  it('shows an active cooldown, a hold, and a hold that remembers an open circuit', () => {
    const sim = new Sim();
    sim.at(0, { type: 'exited', code: 1 });
    sim.at(1, { type: 'exited', code: 1 });
    let v = viewOf({ ...svc, policy: sim.policy, state: sim.state, now: sim.now, lastDecision: null });
    expect(v.cooldown).toEqual({ active: true, until: T0 + 60_000 });
    expect(v.backoff.nextDelaySec).toBe(60);
    const open = circuitOpen();
    open.feed({ type: 'hold', ttlSec: 60, ...alice });
    v = viewOf({ ...svc, policy: open.policy, state: open.state, now: open.now, lastDecision: null });
    expect(v.hold).toEqual({ actor: 'alice', reason: 'investigating', until: open.now + 60_000 });
    expect(v.circuit.state).toBe('open');
    expect(v.approvalPending).toBe(false);
  });

  it('shows a fresh service as healthy and closed with no churn', () => {
    const v = viewOf({ ...svc, policy: policyOf(), state: initialState(), now: T0, lastDecision: null });
    expect(v).toMatchObject({
      circuit: { state: 'closed' },
      cooldown: { active: false, until: null },
      approvalPending: false,
      backoff: { nextDelaySec: 0 },
      recommended: { code: 'none' },
    });
    expect(v.churn.restartsInWindow).toBe(0);
  });
});

describe('nextWakeAt', () => {
  it('names the deadline of every timed state and none for healthy', () => {
    const sim = new Sim();
    expect(nextWakeAt(sim.state, sim.policy)).toBeNull();
    sim.at(0, { type: 'exited', code: 1 });
    expect(nextWakeAt(sim.state, sim.policy)).toBe(T0 + 30_000); // grace
    sim.at(1, { type: 'exited', code: 1 });
    expect(nextWakeAt(sim.state, sim.policy)).toBe(T0 + 60_000); // cooldown
    sim.at(2, { type: 'hold', ttlSec: 10, ...alice });
    expect(nextWakeAt(sim.state, sim.policy)).toBe(T0 + 12_000); // hold expiry
    const open = circuitOpen();
    expect(nextWakeAt(open.state, open.policy)).toBe(T0 + 900_000);
  });

  it('wakes a half-open circuit when it has been stable for stableSec', () => {
    const sim = circuitOpen();
    sim.wake();
    sim.feed({ type: 'probe_ok' });
    expect(nextWakeAt(sim.state, sim.policy)).toBe(sim.now + 600_000);
    expect(sim.wake().decision).toBe('circuit_closed');
  });
});
