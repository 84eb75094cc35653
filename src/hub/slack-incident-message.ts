/**
 * A service incident's message at the hub, built by the agent bot's builder
 * (bot/blocks/incident.ts `incidentMessage`), so a fleet incident reads like an agent's: the
 * header for the opening kind, what happened, state / churn / circuit / hold, the **recommended
 * action** with its command, and a **Runbook** button — both from the service's view as its node
 * last shipped it, projected by the hub (fleet-view.ts) so the link is the hub's `/runbook` with the
 * action's anchor (e.g. `#action-inspect-and-approve`). The service is named `node/service`; the
 * controls are the hub's (slack-controls.ts: Approve, Block or Release hold) while the incident
 * is open. The fallback text ends with the newest status line (a click's result). Pure.
 */
import type { types } from '@slack/bolt';
import { runbookButton } from '../../bot/blocks/actions.js';
import { esc } from '../../bot/blocks/format.js';
import { incidentMessage } from '../../bot/blocks/incident.js';
import type { ServiceInfo } from '../../bot/types.js';
import { runbookUrl } from '../core/status.js';
import { NODE_DOWN_ACTION, NODE_DOWN_ID } from '../runbook/node-down.js';
import { fleetServiceShape } from './fleet-view.js';
import type { FleetService } from './nodes.js';
import { hubControlElements } from './slack-controls.js';

export interface HubIncidentView {
  node: string;
  service: string;
  /** The opening event's kind; null for an incident an older hub opened (its text says what). */
  kind: string | null;
  /** What happened (the window it happened in, the agent's reason). */
  happened: string;
  /** When the opening event was decided (epoch ms). */
  at: number;
  /** The service now (fleetInfo), or null when its node shipped no full view. */
  info: ServiceInfo | null;
  /** Held: Release instead of Block. */
  held: boolean;
  /** Status lines, oldest first (the results of clicks and commands, the recovery). */
  status: string[];
  resolved: boolean;
  timeZone: string;
}

/**
 * The service as the bot's blocks read it, from the view its node last shipped: null when the
 * view is not a full one (a synthetic client's, an agent older than the projection).
 */
export function fleetInfo(s: FleetService, publicUrl: string): ServiceInfo | null {
  const shape = fleetServiceShape(s, publicUrl);
  return 'recommendedAction' in shape && shape.recommendedAction ? (shape as ServiceInfo) : null;
}

export function hubIncidentMessage(v: HubIncidentView): { blocks: types.KnownBlock[]; text: string } {
  const runbookUrl = v.info?.recommendedAction.runbookUrl ?? null;
  const msg = incidentMessage({
    kind: v.kind ?? 'incident',
    service: `${v.node}/${v.service}`,
    info: v.info,
    happened: v.happened,
    at: v.at,
    status: v.status,
    resolved: v.resolved,
    pending: {},
    controls: hubControlElements(v.node, v.service, v.held),
    runbookUrl,
    timeZone: v.timeZone,
  });
  const last = v.status.at(-1);
  return { blocks: msg.blocks, text: last ? `${msg.text}\n${last}` : msg.text };
}

/**
 * A node gone dark, as the incident posts it: what happened, the recommended action of the hub's
 * runbook (runbook/node-down.ts) and a Runbook button to its section of the hub's `/runbook`.
 */
export function nodeDownMessage(text: string, publicUrl: string): types.KnownBlock[] {
  const section = (t: string): types.KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } });
  return [
    section(text),
    section(`*Recommended:* ${esc(NODE_DOWN_ACTION)}`),
    { type: 'actions', elements: [runbookButton(runbookUrl(publicUrl, NODE_DOWN_ID))] },
  ];
}
