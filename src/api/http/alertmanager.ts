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
 *   submitted; a repeat is counted (`medic_alerts_total{outcome="duplicate"}`) and ignored;
 * - inputs go through `engine.submit` → decide(), like every other input; their audit events
 *   carry the alert (labels, fingerprint, generatorURL, status, startsAt) in `data.alert`;
 * - an input that cannot be submitted (engine closing, store failing) un-claims the key and the
 *   answer is 503, so Alertmanager retries and the retry acts. A crash between the claim and the
 *   decision's commit loses that delivery's action (never doubles it: promise 4, no extra restart).
 */
import { performance } from 'node:perf_hooks';
import { ALERT_ACTOR, type AlertRule, alertDedupeKey, alertInput, alertTargets } from '../../core/alerts.js';
import { hasRole } from '../../core/roles.js';
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
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

export function createAlertReceiver(deps: AlertReceiverDeps): (request: Request) => Promise<Response> {
  const log = deps.logger.child({ component: 'alertmanager' });
  return async (request) => {
    const res = await receive(request);
    deps.metrics.alertRequest(res.status);
    return res;
  };

  async function receive(request: Request): Promise<Response> {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
    const auth = authenticate(request.headers.get('authorization'), deps.store);
    if (!auth.ok) {
      return json(
        401,
        { error: `unauthorized: ${auth.reason}` },
        { 'www-authenticate': 'Bearer realm="medic"' },
      );
    }
    if (!hasRole(auth.principal.role, 'alertmanager')) {
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
    for (const alert of parsed.data.alerts) {
      const outcome = await actOn(alert, parsed.data.receiver);
      counts[outcome] += 1;
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
    return json(200, counts);
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
    if (!verdict.first) return 'duplicate' as const;
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
}
