/**
 * The controls of one fleet service in the hub's Slack (incident messages, App Home): the agent
 * bot's buttons (bot/blocks/actions.ts: labels, TTL choices, confirm dialogs) with the hub's
 * action ids and values that name the node and the service instead of a pending-action id —
 * Approve, and Block while the service is not held, Release while it is; then the Runbook button
 * when the service's recommended action links one. A click is re-checked at the hub and the
 * node's agent (slack-route.ts).
 */
import type { types } from '@slack/bolt';
import { approveButton, blockSelect, releaseButton, runbookButton } from '../../bot/blocks/actions.js';

export const HUB_ACTION = {
  approve: 'medic_hub_approve',
  block: 'medic_hub_block',
  release: 'medic_hub_release',
} as const;

/** A control's value: `hub|<ttlSec or 0>|<node>|<service>` (node names have no `|`). */
export function controlValue(node: string, service: string, ttlSec = 0): string {
  return `hub|${ttlSec}|${node}|${service}`;
}

export function parseControlValue(v: unknown): { node: string; service: string; ttlSec: number } | null {
  if (typeof v !== 'string') return null;
  const m = /^hub\|(\d+)\|([A-Za-z0-9][A-Za-z0-9._-]*)\|(.+)$/.exec(v);
  return m ? { ttlSec: Number(m[1]), node: m[2]!, service: m[3]! } : null;
}

/** The buttons of `node/service`: Approve, Block or (held) Release, and Runbook when given. */
export function hubControlElements(
  node: string,
  service: string,
  held: boolean,
  runbookUrl?: string | null,
): types.ActionsBlockElement[] {
  const id = `${node}/${service}`;
  const value = controlValue(node, service);
  const elements: types.ActionsBlockElement[] = [
    { ...approveButton(value, id), action_id: HUB_ACTION.approve },
    held
      ? { ...releaseButton(value, id), action_id: HUB_ACTION.release }
      : { ...blockSelect(value, id, (sec) => controlValue(node, service, sec)), action_id: HUB_ACTION.block },
  ];
  if (runbookUrl) elements.push(runbookButton(runbookUrl));
  return elements;
}

/** The same controls as one actions block (App Home). */
export function hubControls(
  node: string,
  service: string,
  held: boolean,
  runbookUrl?: string | null,
): types.ActionsBlock {
  return { type: 'actions', elements: hubControlElements(node, service, held, runbookUrl) };
}
