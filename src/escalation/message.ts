/**
 * The target-neutral escalation message (stored in the outbox row) and its encodings: the
 * PagerDuty Events API v2 body (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)
 * and the generic webhook body. The routing key is added at send time: secrets never reach the
 * store.
 */

import type { EscalationStep } from '../core/escalation.js';
import type { NodeEscalationStep } from '../core/node-escalation.js';
import { runbookAnchor } from '../core/runbook-anchors.js';

export interface EscalationMessage {
  version: 1;
  action: 'trigger' | 'resolve';
  dedupKey: string;
  service: string;
  node: string;
  trigger: string | null;
  severity: string | null;
  summary: string;
  /** ISO-8601 time of the event that caused it. */
  at: string;
  eventId: number | null;
  links: { href: string; text: string }[];
}

export function buildMessage(opts: {
  step: NonNullable<EscalationStep>;
  dedupKey: string;
  service: string;
  node: string;
  at: number;
  eventId: number | null;
  publicUrl: string;
}): EscalationMessage {
  const base = opts.publicUrl.replace(/\/+$/, '');
  const s = opts.step;
  return {
    version: 1,
    action: s.action,
    dedupKey: opts.dedupKey,
    service: opts.service,
    node: opts.node,
    trigger: s.action === 'trigger' ? s.trigger : null,
    severity: s.action === 'trigger' ? s.severity : null,
    summary: s.summary.slice(0, 1000),
    at: new Date(opts.at).toISOString(),
    eventId: opts.eventId,
    links: [
      { href: `${base}/runbook#${runbookAnchor('inspect_and_approve')}`, text: 'medic runbook' },
      { href: `${base}/go/${encodeURIComponent(opts.service)}`, text: `${opts.service} in medic` },
    ],
  };
}

/**
 * The message of a node gone dark or back (the hub's escalation, src/hub/escalation.ts): the
 * component is medic itself on that node; the link is the hub's node view in GraphQL
 * (`node(name:)`; docs/FLEET.md "A node goes dark" says what to do).
 */
export function buildNodeMessage(opts: {
  step: NonNullable<NodeEscalationStep>;
  eventId: number;
  publicUrl: string;
}): EscalationMessage {
  const base = opts.publicUrl.replace(/\/+$/, '');
  const s = opts.step;
  return {
    version: 1,
    action: s.action,
    dedupKey: s.dedupKey,
    service: 'medic',
    node: s.node,
    trigger: s.action === 'trigger' ? 'node_down' : null,
    severity: s.action === 'trigger' ? s.severity : null,
    summary: s.summary.slice(0, 1000),
    at: new Date(s.at).toISOString(),
    eventId: opts.eventId,
    links: [
      {
        href: `${base}/graphql?query=${encodeURIComponent(`{ node(name: ${JSON.stringify(s.node)}) { name state lastSeenAt } }`)}`,
        text: `${s.node} at the hub`,
      },
    ],
  };
}

/** PagerDuty Events API v2: trigger with payload and links; resolve with the same dedup_key. */
export function pagerDutyBody(m: EscalationMessage, routingKey: string): Record<string, unknown> {
  if (m.action === 'resolve') {
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: m.dedupKey };
  }
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: m.dedupKey,
    payload: {
      summary: m.summary,
      source: m.node,
      severity: m.severity ?? 'error',
      timestamp: m.at,
      component: m.service,
      group: 'medic',
      class: m.trigger ?? 'escalation',
      custom_details: { service: m.service, node: m.node, trigger: m.trigger, eventId: m.eventId },
    },
    links: m.links,
    client: 'medic',
    client_url: m.links[1]?.href,
  };
}
