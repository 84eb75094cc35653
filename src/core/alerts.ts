/**
 * Alerts as inputs (issue 17): which services an Alertmanager alert concerns, what it asks for,
 * and the input each (action, status) pair becomes. Pure; the HTTP receiver (src/api/http/
 * alertmanager.ts) validates the payload, deduplicates deliveries and submits what this returns.
 *
 * A service's contract lists `alerts: [{ match: { label: value, … }, action }]`; the first rule
 * whose every label matches wins for that service. An alert carrying the label `medic_service`
 * that no rule of the named service matched concerns that service with `observe` (the safe
 * default: it counts toward failureThreshold like a failed probe and never restarts by itself).
 */
import type { Input } from './types.js';

export const ALERT_ACTIONS = ['observe', 'hold', 'restart'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** The actor of every input an alert produces (and the only hold an alert's end releases). */
export const ALERT_ACTOR = 'alertmanager';

/** The label naming a service directly. */
export const SERVICE_LABEL = 'medic_service';

/** Default length of an alert's hold when no `holdTtlSec` is given: a missing resolve cannot hold forever. */
export const DEFAULT_ALERT_HOLD_SEC = 3600;

export interface AlertRule {
  /** Every label here must be present on the alert with exactly this value. */
  match: Record<string, string>;
  action: AlertAction;
  /** For `hold`: the hold's TTL (it also ends when the alert resolves). */
  holdTtlSec?: number;
}

export interface AlertTarget {
  service: string;
  action: AlertAction;
  holdTtlSec: number;
}

/** The part of an alert the mapping reads. */
export interface AlertFacts {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  fingerprint: string;
}

function matches(rule: AlertRule, labels: Record<string, string>): boolean {
  return Object.entries(rule.match).every(([k, v]) => labels[k] === v);
}

/** The services an alert concerns (each at most once, in contract order) and what it asks of each. */
export function alertTargets(
  labels: Record<string, string>,
  services: readonly { name: string; alerts?: readonly AlertRule[] }[],
): AlertTarget[] {
  const named = labels[SERVICE_LABEL];
  const out: AlertTarget[] = [];
  for (const s of services) {
    const rule = (s.alerts ?? []).find((r) => matches(r, labels));
    if (rule) {
      out.push({
        service: s.name,
        action: rule.action,
        holdTtlSec: rule.holdTtlSec ?? DEFAULT_ALERT_HOLD_SEC,
      });
    } else if (named === s.name) {
      out.push({ service: s.name, action: 'observe', holdTtlSec: DEFAULT_ALERT_HOLD_SEC });
    }
  }
  return out;
}

/** One line naming the alert in audit reasons: `ApiLatencyHigh (fp 3a4b…)`. */
export function alertTitle(a: AlertFacts): string {
  return `${a.labels.alertname ?? 'alert'} (fingerprint ${a.fingerprint})`;
}

/**
 * The input an alert's status becomes for one target, or null when it asks for nothing:
 * - observe: firing → probe_failed (counts toward failureThreshold, same gate); resolved → probe_ok
 *   (the alert was the failing observation; its end is a passing one);
 * - hold: firing → hold for `holdTtlSec`; resolved → release, only a hold set by an alert
 *   (`otherHoldsFiring`: another hold-alert still fires for the service, so nothing is released);
 * - restart: firing → restart_requested (the full gate); resolved → nothing (the restart happened
 *   or was refused; there is nothing to undo).
 */
export function alertInput(a: AlertFacts, target: AlertTarget, otherHoldsFiring = false): Input | null {
  const title = alertTitle(a);
  const op = { actor: ALERT_ACTOR, reason: `alert ${title} ${a.status}` };
  switch (target.action) {
    case 'observe':
      return a.status === 'firing'
        ? { type: 'probe_failed', detail: `alert ${title} firing` }
        : { type: 'probe_ok' };
    case 'hold':
      if (a.status === 'firing') return { type: 'hold', ttlSec: target.holdTtlSec, ...op };
      return otherHoldsFiring ? null : { type: 'release', onlyIfActor: ALERT_ACTOR, ...op };
    case 'restart':
      return a.status === 'firing' ? { type: 'restart_requested', ...op } : null;
  }
}

/**
 * Whether a re-send of a still-firing `hold` alert renews its hold (Alertmanager re-sends a firing
 * alert every repeat_interval with the same dedupe key): only a hold the alert itself set
 * (`actor` alertmanager, still in force) and only once less than half its TTL remains, so the
 * HA pair's second copy and quick re-sends change nothing and record nothing (speak once). A hold
 * that lapsed or that an operator released or replaced is not taken back.
 */
export function renewsHold(
  hold: { actor: string; until: number } | null,
  target: AlertTarget,
  now: number,
): boolean {
  if (target.action !== 'hold' || hold === null || hold.actor !== ALERT_ACTOR) return false;
  const remaining = hold.until - now;
  return remaining > 0 && remaining < (target.holdTtlSec * 1000) / 2;
}

/**
 * The identity of one delivery's meaning: the same alert (fingerprint), occurrence (startsAt) and
 * status. Alertmanager's retries, its repeat_interval re-sends and the second replica of an HA
 * pair all carry the same key, so each acts once.
 */
export function alertDedupeKey(a: { fingerprint: string; startsAt: string; status: string }): string {
  // Compared as an instant: two replicas may print the same time with different precision.
  const at = Date.parse(a.startsAt);
  return `${a.fingerprint}|${Number.isFinite(at) ? at : a.startsAt}|${a.status}`;
}
