/**
 * The runbook's "Alerts and escalation" section (issue 17): what Alertmanager-driven decisions
 * and the escalation events mean, and what to do. Static prose; docs/ALERTS.md has the design.
 */
import type { Block } from './doc.js';

export const ALERTS_ESCALATION_ID = 'alerts-and-escalation';

export function escalationBlocks(): Block[] {
  return [
    {
      kind: 'p',
      text:
        'Alertmanager posts to `POST /alertmanager` (token role `alertmanager`); each alert acts once per ' +
        '(fingerprint, startsAt, status), through the same decide() and gate as a failed probe. When medic gives up ' +
        '(circuit opened, hard stop, failed half-open probe, approval waiting longer than `approvalPendingSec`) it ' +
        'pages once per episode (PagerDuty Events API v2, signed webhooks) through a durable outbox, and resolves ' +
        'with the same dedup key when the circuit closes or the service is healthy again.',
    },
    {
      kind: 'table',
      head: ['what you see', 'what it means', 'what to do'],
      rows: [
        [
          'an event by actor `alertmanager` with `data.alert` (e.g. `hold_set`, `restart`, `failure_counted`)',
          'An alert mapped in the contract (`alerts:`) acted: `observe` counts a failure, `hold` holds until the ' +
            'alert resolves (or `holdTtlSec`), `restart` asks for a restart through the gate.',
          'Open the alert (`data.alert.generatorURL`, linked in Slack). To stop an alert acting, change its rule in ' +
            'the contract; an operator hold is never released by an alert.',
        ],
        [
          '`skip_held` / `skip_circuit_open` after `restart_requested`',
          'An alert asked for a restart while held or while the circuit is open: refused and counted, like any ' +
            'automatic restart.',
          'Nothing, or act as the recommended action says (approve one probe restart, release the hold).',
        ],
        [
          '`medic_alertmanager_requests_total{status="401"}` or `"403"` grows',
          'Alertmanager posts without a valid `alertmanager` token.',
          "`medic token create --name alertmanager --role alertmanager`; put it in the receiver's " +
            '`http_config.authorization.credentials_file`.',
        ],
        [
          '`medic_alerts_total{outcome="failed"}` grows (Alertmanager sees 503)',
          'medic could not act on an alert (store failing, shutting down); Alertmanager retries and the retry acts.',
          'See Store recovery; nothing is lost while Alertmanager retries.',
        ],
        [
          '`escalation_sent`',
          'A trigger or resolve reached PagerDuty or a webhook (`data.target`, `data.dedupKey`).',
          'Nothing: the on-call engineer was paged (or the page resolved).',
        ],
        [
          '`escalation_failed` (and `medic_escalations_total{outcome="failed"}`)',
          'A page could not be delivered: the target refused it (PagerDuty 400: wrong routing key, bad payload) or it ' +
            'kept failing until the retry bound (`MEDIC_ESCALATION_MAX_ATTEMPTS`). Nobody was paged by medic.',
          'Read `reason` (the last HTTP answer); check the routing key / webhook secret variables and the URL ' +
            '(MEDIC_PAGERDUTY_URL). Page by hand if the episode is still open (`medic status`).',
        ],
        [
          '`medic_escalations_total{outcome="rate_limited"}` grows',
          'PagerDuty or the webhook answered 429; medic waits as long as Retry-After says, then retries.',
          'Nothing unless it keeps growing: then too many episodes open at once (look for a shared cause).',
        ],
        [
          "`medic serve` exits 2: `PD_ROUTING_KEY: not set (the contract's escalation.pagerduty.routingKeyEnv names it)`",
          'The contract names a secret that is not in the environment.',
          "Set the variable in medic's unit (`Environment=` or an `EnvironmentFile=` readable only by medic).",
        ],
      ],
    },
  ];
}
