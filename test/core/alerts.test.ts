/** core/alerts.ts: which services an alert concerns, the input it becomes, its dedupe key. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_ACTOR,
  type AlertRule,
  alertDedupeKey,
  alertInput,
  alertTargets,
  DEFAULT_ALERT_HOLD_SEC,
} from '../../src/core/alerts.js';

const services: { name: string; alerts: AlertRule[] }[] = [
  {
    name: 'api',
    alerts: [
      { match: { alertname: 'ApiLatencyHigh', job: 'api' }, action: 'observe' },
      { match: { alertname: 'ApiWedged' }, action: 'restart' },
    ],
  },
  { name: 'worker', alerts: [{ match: { alertname: 'DatabaseDown' }, action: 'hold', holdTtlSec: 120 }] },
  { name: 'web', alerts: [{ match: { alertname: 'DatabaseDown' }, action: 'hold' }] },
];

describe('alertTargets', () => {
  it('needs every label of a rule to match; the first matching rule of a service wins', () => {
    expect(alertTargets({ alertname: 'ApiLatencyHigh' }, services)).toEqual([]);
    expect(alertTargets({ alertname: 'ApiLatencyHigh', job: 'api', x: '1' }, services)).toEqual([
      { service: 'api', action: 'observe', holdTtlSec: DEFAULT_ALERT_HOLD_SEC },
    ]);
    expect(alertTargets({ alertname: 'ApiWedged' }, services)).toEqual([
      { service: 'api', action: 'restart', holdTtlSec: DEFAULT_ALERT_HOLD_SEC },
    ]);
  });

  it('one alert may concern several services (a shared dependency holds both)', () => {
    expect(alertTargets({ alertname: 'DatabaseDown' }, services)).toEqual([
      { service: 'worker', action: 'hold', holdTtlSec: 120 },
      { service: 'web', action: 'hold', holdTtlSec: DEFAULT_ALERT_HOLD_SEC },
    ]);
  });

  it('the medic_service label names a service with observe when no rule of it matched, never an unknown one', () => {
    expect(alertTargets({ alertname: 'Other', medic_service: 'web' }, services)).toEqual([
      { service: 'web', action: 'observe', holdTtlSec: DEFAULT_ALERT_HOLD_SEC },
    ]);
    expect(alertTargets({ alertname: 'ApiWedged', medic_service: 'api' }, services)[0].action).toBe(
      'restart',
    );
    expect(alertTargets({ alertname: 'Other', medic_service: 'nope' }, services)).toEqual([]);
  });

  it('never names a service twice, and only services of the contract (property)', () => {
    const label = fc.constantFrom('alertname', 'job', 'medic_service', 'x');
    const value = fc.constantFrom('ApiWedged', 'DatabaseDown', 'api', 'web', 'nope', 'ApiLatencyHigh');
    fc.assert(
      fc.property(fc.dictionary(label, value), (labels) => {
        const names = alertTargets(labels, services).map((t) => t.service);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(['api', 'worker', 'web']).toContain(n);
      }),
    );
  });
});

describe('alertInput', () => {
  const facts = (status: 'firing' | 'resolved') => ({
    status,
    labels: { alertname: 'X' },
    fingerprint: 'abc',
  });
  const t = (action: 'observe' | 'hold' | 'restart') => ({ service: 'api', action, holdTtlSec: 60 });

  it('observe: firing is a failed probe, resolved a passing one', () => {
    expect(alertInput(facts('firing'), t('observe'))).toMatchObject({ type: 'probe_failed' });
    expect(alertInput(facts('resolved'), t('observe'))).toEqual({ type: 'probe_ok' });
  });

  it('hold: firing holds for the TTL; resolved releases only an alert hold, and not while another hold-alert fires', () => {
    expect(alertInput(facts('firing'), t('hold'))).toMatchObject({
      type: 'hold',
      ttlSec: 60,
      actor: ALERT_ACTOR,
    });
    expect(alertInput(facts('resolved'), t('hold'))).toMatchObject({
      type: 'release',
      onlyIfActor: ALERT_ACTOR,
    });
    expect(alertInput(facts('resolved'), t('hold'), true)).toBeNull();
  });

  it('restart: firing asks for a restart through the gate; resolved asks for nothing', () => {
    expect(alertInput(facts('firing'), t('restart'))).toMatchObject({
      type: 'restart_requested',
      actor: ALERT_ACTOR,
    });
    expect(alertInput(facts('resolved'), t('restart'))).toBeNull();
  });
});

describe('alertDedupeKey', () => {
  it('is the same for the same instant printed with different precision, and differs by status and fingerprint', () => {
    const a = { fingerprint: 'f1', startsAt: '2026-11-30T12:00:00.123Z', status: 'firing' };
    expect(alertDedupeKey({ ...a, startsAt: '2026-11-30T12:00:00.123000000Z' })).toBe(alertDedupeKey(a));
    expect(alertDedupeKey({ ...a, startsAt: '2026-11-30T13:00:00.123+01:00' })).toBe(alertDedupeKey(a));
    expect(alertDedupeKey({ ...a, status: 'resolved' })).not.toBe(alertDedupeKey(a));
    expect(alertDedupeKey({ ...a, fingerprint: 'f2' })).not.toBe(alertDedupeKey(a));
    expect(alertDedupeKey({ ...a, startsAt: '2026-11-30T12:00:01.123Z' })).not.toBe(alertDedupeKey(a));
  });
});
