/** `/medic status` and App Home cards: one section per service, buttons where actions apply. */
import type { types } from '@slack/bolt';
import type { ServiceWithApproval } from '../graphql/ops.js';
import { mention } from '../roles.js';
import { approveButton, blockSelect, releaseButton, runbookButton } from './actions.js';
import { type Budget, fitBlocks, MESSAGE_BUDGET, VIEW_BUDGET } from './budget.js';
import { esc } from './format.js';
import {
  budgetText,
  churnText,
  circuitText,
  holdText,
  maintenanceText,
  needsAttention,
  recommendedText,
  STATE_EMOJI,
} from './service.js';

type KnownBlock = types.KnownBlock;

export function serviceCard(s: ServiceWithApproval, tz: string): KnownBlock {
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: [
        `${STATE_EMOJI[s.state] ?? ''} *${esc(s.name)}* \`${s.state}\` (${esc(s.unit)})`,
        `Churn: ${churnText(s)}`,
        `Circuit: ${circuitText(s, tz)} · Hold: ${holdText(s, tz, mention)}`,
        ...[maintenanceText(s, tz), budgetText(s)].filter((x): x is string => x !== null),
        recommendedText(s),
      ].join('\n'),
    },
  };
}

export function serviceButtons(
  s: ServiceWithApproval,
  pending: { approve?: string; block?: string; release?: string },
): KnownBlock | null {
  const elements: types.ActionsBlockElement[] = [];
  if (pending.approve) elements.push(approveButton(pending.approve, s.name));
  if (pending.block) elements.push(blockSelect(pending.block, s.name));
  if (pending.release) elements.push(releaseButton(pending.release, s.name));
  if (s.recommendedAction.runbookUrl) elements.push(runbookButton(s.recommendedAction.runbookUrl));
  return elements.length > 0
    ? { type: 'actions', block_id: `medic_svc_${s.name}`.slice(0, 255), elements }
    : null;
}

/** Ephemeral `/medic status [service]`: one service in full, or all with attention first. */
export function statusMessage(services: ServiceWithApproval[], tz: string, budget: Budget = MESSAGE_BUDGET) {
  const sorted = [...services].sort(
    (a, b) => Number(needsAttention(b)) - Number(needsAttention(a)) || a.name.localeCompare(b.name),
  );
  const attention = sorted.filter(needsAttention).length;
  const head: KnownBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: `*${services.length} services*, ${attention} need attention.` },
  };
  const cards = sorted.map((s) => serviceCard(s, tz));
  const text = sorted.map((s) => `${s.name}: ${s.state}`).join(', ');
  return fitBlocks(
    [head, ...cards],
    `medic status: ${text}`,
    budget,
    'Use `/medic status <service>` for one service.',
  );
}

/** The App Home tab: services that need attention or are in a maintenance window, each with its buttons. */
export function homeView(
  services: ServiceWithApproval[],
  pendingOf: (s: ServiceWithApproval) => { approve?: string; block?: string; release?: string },
  tz: string,
) {
  const attention = services.filter(needsAttention).sort((a, b) => a.name.localeCompare(b.name));
  // Healthy services inside a maintenance window are shown too: the window and its end.
  const shown = services
    .filter((s) => needsAttention(s) || s.maintenance)
    .sort((a, b) => a.name.localeCompare(b.name));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'medic — services that need attention' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${attention.length} of ${services.length} services need attention. Use \`/medic help\` for commands.`,
        },
      ],
    },
  ];
  if (shown.length === 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: ':large_green_circle: All services are healthy.' },
    });
  }
  for (const s of shown) {
    blocks.push({ type: 'divider' }, serviceCard(s, tz));
    const buttons = serviceButtons(s, pendingOf(s));
    if (buttons) blocks.push(buttons);
  }
  const fitted = fitBlocks(blocks, 'medic', VIEW_BUDGET, 'Use `/medic status` for the full list.');
  return { type: 'home' as const, blocks: fitted.blocks };
}
