/** The pure parts of escalation: when an episode opens and ends, the schedule, the signature. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { ESCALATION_TRIGGERS, escalationStep } from '../../src/core/escalation.js';
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from '../../src/escalation/backoff.js';
import { buildMessage, pagerDutyBody } from '../../src/escalation/message.js';
import { signature, verifySignature } from '../../src/escalation/sign.js';

const ev = (over: Partial<AuditEvent>): AuditEvent =>
  ({
    id: 1,
    at: 0,
    service: 'api',
    kind: 'observation',
    decision: null,
    taken: null,
    input: null,
    actor: 'medic',
    reason: null,
    stateFrom: null,
    stateTo: null,
    counters: null,
    effects: [],
    mode: 'enforce',
    data: null,
    ...over,
  }) as AuditEvent;
const ALL = ESCALATION_TRIGGERS;

describe('escalationStep', () => {
  it('a circuit opening opens an episode; a failed probe re-opening it is probe_failed; a hard stop is critical', () => {
    expect(
      escalationStep(ev({ kind: 'circuit_opened', data: { cause: 'churn' } }), false, ALL),
    ).toMatchObject({
      action: 'trigger',
      trigger: 'circuit_opened',
      severity: 'error',
    });
    expect(
      escalationStep(ev({ kind: 'circuit_opened', data: { cause: 'probe_failed' } }), false, ALL),
    ).toMatchObject({
      trigger: 'probe_failed',
    });
    expect(escalationStep(ev({ kind: 'hard_stop' }), false, ALL)).toMatchObject({
      trigger: 'hard_stop',
      severity: 'critical',
    });
  });

  it('says nothing more while the episode is open, and resolves when the circuit closes or the service is healthy again', () => {
    expect(escalationStep(ev({ kind: 'circuit_opened' }), true, ALL)).toBeNull();
    expect(escalationStep(ev({ kind: 'hard_stop' }), true, ALL)).toBeNull();
    expect(
      escalationStep(ev({ kind: 'circuit_closed', stateFrom: 'half_open', stateTo: 'healthy' }), true, ALL),
    ).toMatchObject({
      action: 'resolve',
    });
    expect(
      escalationStep(ev({ kind: 'observation', stateFrom: 'restarting', stateTo: 'healthy' }), true, ALL),
    ).toMatchObject({
      action: 'resolve',
    });
    expect(escalationStep(ev({ kind: 'circuit_closed' }), false, ALL)).toBeNull();
  });

  it('honours `on`, and never escalates its own events or events without a service (property)', () => {
    const kinds = fc.constantFrom(
      'circuit_opened',
      'hard_stop',
      'circuit_closed',
      'escalation_sent',
      'escalation_failed',
      'observation',
    );
    fc.assert(
      fc.property(kinds, fc.subarray([...ALL]), fc.boolean(), fc.boolean(), (kind, on, open, noService) => {
        const step = escalationStep(
          ev({ kind: kind as AuditEvent['kind'], service: noService ? null : 'api' }),
          open,
          on,
        );
        if (noService || kind.startsWith('escalation_')) expect(step).toBeNull();
        if (step?.action === 'trigger') {
          expect(open).toBe(false);
          expect(on).toContain(step.trigger);
        }
        if (step?.action === 'resolve') expect(open).toBe(true);
      }),
    );
  });
});

describe('backoff and Retry-After', () => {
  it('grows exponentially with jitter in [cap/2, cap], capped at maxMs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (n, r) => {
          const cap = Math.min(DEFAULT_RETRY.baseMs * 2 ** (n - 1), DEFAULT_RETRY.maxMs);
          const d = backoffMs(n, DEFAULT_RETRY, r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(cap / 2));
          expect(d).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it('reads delay-seconds and HTTP dates, ignores garbage, caps at one hour', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('999999', now)).toBe(3600_000);
  });
});

describe('webhook signature', () => {
  it('verifies with the documented algorithm and rejects a changed body, another secret or an old timestamp', () => {
    const body = '{"action":"trigger"}';
    const ts = 1_800_000_000;
    const sig = signature('s3cret', ts, body);
    expect(sig).toMatch(/^v0=[0-9a-f]{64}$/);
    const h = { signature: sig, timestamp: String(ts) };
    expect(verifySignature('s3cret', h, body, ts + 10)).toBe(true);
    expect(verifySignature('s3cret', h, `${body} `, ts)).toBe(false);
    expect(verifySignature('other', h, body, ts)).toBe(false);
    expect(verifySignature('s3cret', h, body, ts + 301)).toBe(false);
  });
});

describe('PagerDuty body', () => {
  it('trigger carries dedup_key, severity, summary and links to the runbook and /go/<service>; resolve only the key', () => {
    const step = escalationStep(ev({ kind: 'circuit_opened', reason: 'x' }), false, ALL)!;
    const m = buildMessage({
      step,
      dedupKey: 'medic/n1/api/7',
      service: 'api',
      node: 'n1',
      at: 0,
      eventId: 7,
      publicUrl: 'http://m.test/',
    });
    const t = pagerDutyBody(m, 'RK');
    expect(t).toMatchObject({
      routing_key: 'RK',
      event_action: 'trigger',
      dedup_key: 'medic/n1/api/7',
      payload: { severity: 'error', source: 'n1', component: 'api' },
    });
    expect((t.links as { href: string }[]).map((l) => l.href)).toEqual([
      'http://m.test/runbook#action-inspect-and-approve',
      'http://m.test/go/api',
    ]);
    expect(pagerDutyBody({ ...m, action: 'resolve' }, 'RK')).toEqual({
      routing_key: 'RK',
      event_action: 'resolve',
      dedup_key: 'medic/n1/api/7',
    });
  });
});
