/**
 * Escalation settings as medic serve runs them: the contract's `escalation` block with its
 * secrets read from the environment (by name: `routingKeyEnv`, `secretEnv`), the PagerDuty URL
 * (MEDIC_PAGERDUTY_URL, for tests and proxies) and the retry policy.
 */
import type { EscalationTrigger } from '../core/escalation.js';
import type { RetryPolicy } from './backoff.js';

export interface WebhookTarget {
  name: string;
  url: string;
  secret: string;
}

export interface EscalationConfig {
  /** This medic's node name (MEDIC_NODE_NAME): in dedup keys and as PagerDuty `source`. */
  node: string;
  /** Base of the runbook and /go/ links. */
  publicUrl: string;
  pagerduty: { url: string; routingKey: string } | null;
  webhooks: WebhookTarget[];
  on: EscalationTrigger[];
  /** Escalate an approval pending longer than this (null: never). */
  approvalPendingSec: number | null;
  retry: RetryPolicy;
}

/** The outbox targets of a config, in a stable order. */
export function targetsOf(c: EscalationConfig): string[] {
  return [...(c.pagerduty ? ['pagerduty'] : []), ...c.webhooks.map((w) => `webhook:${w.name}`)];
}
