/**
 * The incident buttons. Values carry only the opaque pending-action id (plus, for Block, the
 * chosen TTL from a fixed list); everything else is re-read on the server when clicked.
 */
import type { types } from '@slack/bolt';

export const ACTION = {
  approve: 'medic_approve',
  block: 'medic_block',
  release: 'medic_release',
  runbook: 'medic_runbook',
} as const;

/** The TTL choices of the Block button, in seconds. */
export const BLOCK_TTLS: ReadonlyArray<{ label: string; sec: number }> = [
  { label: '30 min', sec: 1800 },
  { label: '2 h', sec: 7200 },
  { label: '8 h', sec: 28800 },
  { label: '24 h', sec: 86400 },
];

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text, emoji: true });

export function approveButton(pendingId: string, service: string): types.Button {
  return {
    type: 'button',
    action_id: ACTION.approve,
    text: plain('Approve probe restart'),
    style: 'primary',
    value: pendingId,
    confirm: {
      title: plain('Approve a probe restart?'),
      text: {
        type: 'mrkdwn',
        text: `medic restarts *${service}* once (half-open probe). If it stays healthy the circuit closes; if it fails, the circuit opens again for longer.`,
      },
      confirm: plain('Approve'),
      deny: plain('Cancel'),
      style: 'primary',
    },
  };
}

/**
 * The Block select: one option per TTL of BLOCK_TTLS, each valued `<pendingId>:<ttlSec>` unless
 * `optionValue` says otherwise (the fleet hub's values name node and service instead).
 */
export function blockSelect(
  pendingId: string,
  service: string,
  optionValue: (ttlSec: number) => string = (sec) => `${pendingId}:${sec}`,
): types.StaticSelect {
  return {
    type: 'static_select',
    action_id: ACTION.block,
    placeholder: plain('Block auto-restart…'),
    options: BLOCK_TTLS.map((t) => ({ text: plain(`Block for ${t.label}`), value: optionValue(t.sec) })),
    confirm: {
      title: plain('Block automatic restarts?'),
      text: {
        type: 'mrkdwn',
        text: `medic will not restart *${service}* automatically until the hold expires or someone releases it.`,
      },
      confirm: plain('Block'),
      deny: plain('Cancel'),
      style: 'danger',
    },
  };
}

export function releaseButton(pendingId: string, service: string): types.Button {
  return {
    type: 'button',
    action_id: ACTION.release,
    text: plain('Release'),
    value: pendingId,
    confirm: {
      title: plain('Release the hold?'),
      text: { type: 'mrkdwn', text: `Automatic restarts of *${service}* resume under its policy.` },
      confirm: plain('Release'),
      deny: plain('Cancel'),
    },
  };
}

export function runbookButton(url: string): types.Button {
  return { type: 'button', action_id: ACTION.runbook, text: plain('Runbook'), url };
}

/** Splits a Block option value `<pendingId>:<ttlSec>`; null unless the TTL is one we offer. */
export function parseBlockValue(value: string): { pendingId: string; ttlSec: number } | null {
  const i = value.lastIndexOf(':');
  if (i <= 0) return null;
  const ttlSec = Number(value.slice(i + 1));
  if (!BLOCK_TTLS.some((t) => t.sec === ttlSec)) return null;
  return { pendingId: value.slice(0, i), ttlSec };
}
