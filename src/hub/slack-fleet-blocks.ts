/**
 * The hub's Slack views of the fleet (pure): the `/medic status` answer and the App Home tab.
 * A summary line (nodes, unreachable ones, services by state), the budget groups where services
 * wait, then one card per service that needs attention (the agent bot's card, named
 * `node/service`) — on App Home with the hub's Approve / Block / Release controls and the
 * Runbook button (slack-controls.ts). Fitted to Slack's block and size limits
 * (bot/blocks/budget.ts), saying what was left out.
 */
import type { types } from '@slack/bolt';
import { type Budget, fitBlocks, MESSAGE_BUDGET, VIEW_BUDGET } from '../../bot/blocks/budget.js';
import { esc } from '../../bot/blocks/format.js';
import { serviceCard } from '../../bot/blocks/status.js';
import { hubControls } from './slack-controls.js';
import type { FleetServiceCard, FleetSummary } from './slack-ops.js';

type KnownBlock = types.KnownBlock;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** `api` on `node-a` as the bot's card shows it: `node-a/api`. */
export const cardOf = (s: FleetServiceCard, tz: string): KnownBlock =>
  serviceCard({ ...s, name: `${s.node}/${s.name}` }, tz);

function summaryLines(f: FleetSummary): string[] {
  const byState = new Map<string, number>();
  for (const n of f.nodes)
    for (const c of n.counts) byState.set(c.state, (byState.get(c.state) ?? 0) + c.count);
  const total = [...byState.values()].reduce((a, b) => a + b, 0);
  const states = [...byState].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`);
  const dark = f.nodes.filter((n) => !n.connected).map((n) => n.name);
  const lines = [
    `*${f.nodes.length} nodes*, *${total} services*${states.length ? ` (${states.join(', ')})` : ''}.`,
    dark.length
      ? `:red_circle: Unreachable: ${dark.slice(0, 20).map(esc).join(', ')}${dark.length > 20 ? ` and ${dark.length - 20} more` : ''}.`
      : ':large_green_circle: Every node is reporting.',
  ];
  const waiting = f.budgetGroups.filter((g) => g.waiting > 0);
  for (const g of waiting)
    lines.push(
      `:hourglass: Budget *${esc(g.name)}*: ${g.inFlight}/${g.maxConcurrent} restarts in flight, ${g.waiting} waiting.`,
    );
  if (f.attention.length === 0) lines.push('Nothing needs attention.');
  return lines;
}

/** The ephemeral answer to `/medic status` at the hub. */
export function fleetStatusMessage(f: FleetSummary, tz: string, budget: Budget = MESSAGE_BUDGET) {
  const cards = f.attention.map((s) => cardOf(s, tz));
  return fitBlocks(
    [section(summaryLines(f).join('\n')), ...cards],
    `medic fleet: ${summaryLines(f)[0]}`,
    budget,
    'Use `/medic status <node>/<service>` for one service.',
  );
}

/** The App Home tab at the hub: the same summary, each service with its controls. */
export function fleetHomeView(f: FleetSummary, tz: string) {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'medic fleet' } },
    section(summaryLines(f).join('\n')),
  ];
  for (const s of f.attention) {
    blocks.push(cardOf(s, tz));
    blocks.push(hubControls(s.node, s.name, s.state === 'held', s.recommendedAction.runbookUrl));
  }
  const fitted = fitBlocks(
    blocks,
    'medic fleet',
    VIEW_BUDGET,
    'More in `/medic status` and the hub status page.',
  );
  return { type: 'home' as const, blocks: fitted.blocks };
}
