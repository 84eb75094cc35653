/**
 * `POST /alertmanager`: Alertmanager's webhook receiver (issue 17, docs/ALERTS.md).
 *
 * Contract:
 * - a bearer token of role `alertmanager` (or admin): Alertmanager's `http_config.authorization`;
 *   missing/invalid → 401, another role → 403; only POST (405); the body is limited by the API's
 *   `maxBodyBytes` (413, enforced while reading) and must be the version-4 payload (400 naming
 *   every problem);
 * - each alert maps to services through their contract rules (core/alerts.ts `alertTargets`);
 * - each alert's delivery acts once: its dedupe key (fingerprint, startsAt, status) is claimed in
 *   the store (durable, shared by every replica posting to this medic) before any input is
 *   submitted; a repeat is counted (`medic_alerts_total{outcome="duplicate"}`) and ignored --
 *   except that a re-send of a still-firing `hold` alert renews the alert's hold once less than
 *   half its TTL remains (core/alerts.ts `renewsHold`; outcome `renewed`), so a hold outlives
 *   holdTtlSec while Alertmanager keeps re-sending at repeat_interval;
 * - refused requests (401, 403) are audited as `access_denied` (service null), at most once per
 *   caller per minute with the count of refusals it stands for (core/throttle.ts);
 * - inputs go through `engine.submit` → decide(), like every other input; their audit events
 *   carry the alert (labels, fingerprint, generatorURL, status, startsAt) in `data.alert`;
 * - an input that cannot be submitted (engine closing, store failing) un-claims the key and the
 *   answer is 503, so Alertmanager retries and the retry acts. A crash between the claim and the
 *   decision's commit loses that delivery's action (never doubles it: promise 4, no extra restart).
 */
import { performance } from 'node:perf_hooks';
import {
  ALERT_ACTOR,
  type AlertRule,
  alertDedupeKey,
  alertInput,
  alertTargets,
  renewsHold,
} from '../../core/alerts.js';
import { hasRole } from '../../core/roles.js';
import { RefusalThrottle } from '../../core/throttle.js';
import type { Engine } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../store/types.js';
import { payloadProblems, type WebhookAlert, webhookSchema } from './alertmanager-payload.js';
import { authenticate } from './auth.js';
import type { Metrics } from './metrics.js';

export const ALERTMANAGER_PATH = '/alertmanager';

export interface AlertReceiverDeps {
  engine: Engine;
  store: Pick<Store, 'findTokenByHash' | 'claimAlert' | 'unclaimAlert'>;
  /** The services and their alert rules (the contract's, read per request). */
  services: () => readonly { name: string; alerts?: readonly AlertRule[] }[];
  clock: { now(): number };
  metrics: Metrics;
  logger: Logger;
  /** Refusal counting (default: core/throttle.ts defaults, one record per caller per minute). */
  denials?: RefusalThrottle;
}

/** The operation named in access_denied events of this endpoint. */
const OPERATION = `POST ${ALERTMANAGER_PATH}`;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

export function createAlertReceiver(deps: AlertReceiverDeps): (request: Request) => Promise<Response> {
  const log = deps.logger.child({ component: 'alertmanager' });
  const denials = deps.denials ?? new RefusalThrottle();
  /** Speak once: the first refusal of a caller, then one record per minute counting the rest. */
  const denied = (
    who: string,
    status: 401 | 403,
    reason: string,
    principal: { role: string; via?: string } | null,
  ) => {
    const now = deps.clock.now();
    const verdict = denials.refuse(who, OPERATION, now);
    if (!verdict.write) return;
    try {
      deps.engine.record({
        service: null,
        kind: 'access_denied',
        decision: null,
        taken: false,
        input: null,
        actor: who,
        reason: `${OPERATION} refused (${status}): ${reason}`,
        stateFrom: null,
        stateTo: null,
        counters: null,
        effects: [],
        mode: null,
        data: {
          operation: OPERATION,
          status,
          required: 'alertmanager',
          role: principal?.role ?? null,
          via: principal?.via ?? null,
          count: verdict.count,
          firstAt: verdict.firstAt,
          lastAt: verdict.lastAt,
        },
      });
    } catch (err) {
      log.error({ err }, 'access_denied not recorded');
    }
  };
  return async (request) => {
    const res = await receive(request);
    deps.metrics.alertRequest(res.status);
    return res;
  };

  async function receive(request: Request): Promise<Response> {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
    const auth = authenticate(request.headers.get('authorization'), deps.store);
    if (!auth.ok) {
      // No principal: one caller, "unauthenticated" (the token is never logged).
      denied('unauthenticated', 401, auth.reason, null);
      return json(
        401,
        { error: `unauthorized: ${auth.reason}` },
        { 'www-authenticate': 'Bearer realm="medic"' },
      );
    }
    if (!hasRole(auth.principal.role, 'alertmanager')) {
      denied(auth.principal.name, 403, `needs role alertmanager, has ${auth.principal.role}`, auth.principal);
      return json(403, {
        error: `POST /alertmanager needs role alertmanager; token '${auth.principal.name}' has role ${auth.principal.role}`,
      });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await request.text());
    } catch {
      return json(400, { error: 'invalid payload', problems: ['the body is not JSON'] });
    }
    const parsed = webhookSchema.safeParse(raw);
    if (!parsed.success) {
      return json(400, { error: 'invalid payload', problems: payloadProblems(parsed.error) });
    }
    const started = performance.now();
    const counts = { acted: 0, duplicate: 0, unmatched: 0, failed: 0 };
    let renewed = 0;
    for (const alert of parsed.data.alerts) {
      const outcome = await actOn(alert, parsed.data.receiver);
      if (outcome === 'renewed') renewed += 1;
      else counts[outcome] += 1;
      deps.metrics.alertReceived(outcome);
    }
    log.debug(
      { ...counts, ms: performance.now() - started, groupKey: parsed.data.groupKey },
      'alerts received',
    );
    if (counts.failed > 0) {
      return json(
        503,
        { error: 'some alerts could not be acted on; retry', ...counts },
        { 'retry-after': '5' },
      );
    }
    // `renewed` only when a hold was renewed: the answer keeps its shape otherwise.
    return json(200, renewed > 0 ? { ...counts, renewed } : counts);
  }

  async function actOn(alert: WebhookAlert, receiver: string) {
    const targets = alertTargets(alert.labels, deps.services());
    if (targets.length === 0) return 'unmatched' as const;
    const key = alertDedupeKey(alert);
    let verdict: ReturnType<typeof deps.store.claimAlert>;
    try {
      verdict = deps.store.claimAlert({
        key,
        fingerprint: alert.fingerprint,
        status: alert.status,
        targets: targets.map((t) => ({ service: t.service, action: t.action })),
        at: deps.clock.now(),
      });
    } catch (err) {
      log.error({ err, fingerprint: alert.fingerprint }, 'alert not claimed (store failing)');
      return 'failed' as const;
    }
    const data = {
      alert: {
        name: alert.labels.alertname ?? null,
        status: alert.status,
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        labels: alert.labels,
        generatorURL: alert.generatorURL,
        receiver,
      },
    };
    if (!verdict.first) return renew(alert, targets, data);
    try {
      for (const target of targets) {
        const input = alertInput(alert, target, verdict.othersHolding.has(target.service));
        if (!input) continue;
        await deps.engine.submit(target.service, input, {
          source: 'alertmanager',
          data: { ...data, alert: { ...data.alert, action: target.action } },
        });
      }
      return 'acted' as const;
    } catch (err) {
      // Not (fully) acted on: forget the key so Alertmanager's retry acts. Inputs that did commit
      // before the failure are idempotent in effect (a second hold replaces, a failure counts).
      log.error({ err, fingerprint: alert.fingerprint, actor: ALERT_ACTOR }, 'alert not acted on');
      try {
        deps.store.unclaimAlert(key);
      } catch (e) {
        log.error({ err: e }, 'alert claim not released');
      }
      return 'failed' as const;
    }
  }

  /**
   * A repeat delivery: nothing, unless it is a still-firing hold alert whose hold needs renewing
   * (renewsHold). The renewal is the same hold input (decide() replaces the hold: a new TTL from
   * now), audited with `data.alert.renewed`. A failing renewal answers 503: Alertmanager retries.
   */
  async function renew(
    alert: WebhookAlert,
    targets: ReturnType<typeof alertTargets>,
    data: { alert: Record<string, unknown> },
  ) {
    if (alert.status !== 'firing') return 'duplicate' as const;
    const now = deps.clock.now();
    const due = targets.filter((t) => renewsHold(deps.engine.view(t.service)?.hold ?? null, t, now));
    if (due.length === 0) return 'duplicate' as const;
    try {
      for (const target of due) {
        const input = alertInput(alert, target);
        if (!input) continue;
        await deps.engine.submit(target.service, input, {
          source: 'alertmanager',
          data: { ...data, alert: { ...data.alert, action: target.action, renewed: true } },
        });
      }
      return 'renewed' as const;
    } catch (err) {
      log.error({ err, fingerprint: alert.fingerprint }, 'alert hold not renewed');
      return 'failed' as const;
    }
  }
}
