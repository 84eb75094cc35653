/**
 * The incident parent message: what happened, churn counters, circuit/cooldown, hold, the
 * recommended action (command + runbook link), a status line ("Approved by @x at HH:MM") and
 * the buttons that still apply. Variable parts (drift findings) are fitted to the budget so
 * the fixed blocks and the buttons always survive.
 */
import type { types } from '@slack/bolt';
import { mention } from '../roles.js';
import type { ServiceInfo, Time } from '../types.js';
import { approveButton, blockSelect, releaseButton, runbookButton } from './actions.js';
import { blocksSize, fitBlocks, MESSAGE_BUDGET } from './budget.js';
import { clip, esc, hhmm } from './format.js';
import { churnText, circuitText, holdText, recommendedText, STATE_EMOJI } from './service.js';

type KnownBlock = types.KnownBlock;

export interface DriftFindingView {
  source: string;
  service?: string | null;
  field: string;
  expected: unknown;
  actual: unknown;
  severity?: string;
  fix?: string;
}

/** An alert to link from the incident (Alertmanager's generatorURL: the graph that fired). */
export interface AlertLinkView {
  name: string;
  url: string;
}

export interface IncidentMessageInput {
  /** Kind of the event that opened the incident. */
  kind: string;
  service: string | null;
  info: ServiceInfo | null;
  /** One or two sentences: what happened (from the event's reason/detail). */
  happened: string;
  at: Time;
  findings?: DriftFindingView[];
  alert?: AlertLinkView;
  /** Newest last, e.g. "Approved by <@U1> at 14:05". */
  status: string[];
  resolved: boolean;
  pending: { approve?: string; block?: string; release?: string };
  /**
   * The service's buttons when they are not pending-action ids: the fleet hub's, whose values
   * name node and service (src/hub/slack-services.ts). Given, they replace `pending`'s buttons;
   * shown only while the incident is open, before the Runbook button.
   */
  controls?: types.ActionsBlockElement[];
  runbookUrl: string | null;
  timeZone: string;
}

export const KIND_TITLE: Record<string, { emoji: string; title: string }> = {
  circuit_opened: { emoji: ':rotating_light:', title: 'circuit opened — automatic restarts stopped' },
  restart_blocked: { emoji: ':no_entry:', title: 'automatic restart blocked' },
  approval_requested: { emoji: ':raising_hand:', title: 'approval requested for a probe restart' },
  hold_expired: { emoji: ':hourglass:', title: 'hold expired — automatic restarts resume' },
  drift_detected: { emoji: ':warning:', title: 'runtime contract drift' },
  hard_stop: { emoji: ':octagonal_sign:', title: 'unit stopped — hard stop on churn' },
};

export const FLEET_BUDGET_TITLE = {
  emoji: ':hourglass_flowing_sand:',
  title: 'waiting for fleet budget — restarts in turn, oldest first',
};

const md = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });

function findingText(f: DriftFindingView): string {
  const show = (v: unknown) => clip(typeof v === 'string' ? v : JSON.stringify(v), 300);
  const fix = f.fix ? `\nfix: \`${clip(f.fix, 500).replace(/`/g, "'")}\`` : '';
  return `• *${esc(f.source)}* ${esc(f.service ?? '')} \`${esc(f.field)}\`: expected \`${esc(show(f.expected))}\`, actual \`${esc(show(f.actual))}\`${fix}`;
}

export function incidentMessage(input: IncidentMessageInput): { blocks: KnownBlock[]; text: string } {
  // A restart held back by the fleet budget (issue 16) says so: it is waiting, not refused.
  const t =
    input.kind === 'restart_blocked' && input.info?.state === 'budget_wait'
      ? FLEET_BUDGET_TITLE
      : (KIND_TITLE[input.kind] ?? { emoji: ':information_source:', title: input.kind });
  const name = input.service ?? 'runtime contract';
  const prefix = input.resolved ? ':white_check_mark: [resolved] ' : `${t.emoji} `;
  const head: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${prefix}${name}: ${t.title}`, 150), emoji: true },
    },
    {
      type: 'section',
      text: md(`*What happened* (${hhmm(input.at, input.timeZone)}): ${esc(input.happened)}`),
    },
  ];
  if (input.alert) {
    // The URL was checked when read (alertLinkOf: http(s), no <, >, | or spaces); the name is escaped.
    head.push({ type: 'context', elements: [md(`Alert: <${input.alert.url}|${esc(input.alert.name)}>`)] });
  }
  const s = input.info;
  if (s) {
    head.push({
      type: 'section',
      fields: [
        md(
          `*State*\n${STATE_EMOJI[s.state] ?? ''} \`${s.state}\`${s.mode === 'shadow' ? ' (shadow mode)' : ''}`,
        ),
        md(`*Churn*\n${churnText(s)}`),
        md(`*Circuit / cooldown*\n${circuitText(s, input.timeZone)}`),
        md(`*Hold*\n${holdText(s, input.timeZone, mention)}`),
      ],
    });
    head.push({ type: 'section', text: md(recommendedText(s)) });
  }

  const tail: KnownBlock[] = [];
  if (input.status.length > 0) {
    tail.push({ type: 'context', elements: input.status.slice(-10).map((line) => md(line)) });
  }
  const elements: types.ActionsBlockElement[] = [];
  if (!input.resolved && input.service && input.controls) elements.push(...input.controls);
  else if (!input.resolved && input.service) {
    if (input.pending.approve) elements.push(approveButton(input.pending.approve, input.service));
    if (input.pending.block) elements.push(blockSelect(input.pending.block, input.service));
    if (input.pending.release) elements.push(releaseButton(input.pending.release, input.service));
  }
  const runbook = input.runbookUrl ?? s?.recommendedAction.runbookUrl ?? null;
  if (runbook) elements.push(runbookButton(runbook));
  if (elements.length > 0) tail.push({ type: 'actions', block_id: 'medic_incident_actions', elements });

  // Findings take what the fixed blocks leave of the budget.
  let middle: KnownBlock[] = [];
  if (input.findings && input.findings.length > 0) {
    const findingBlocks: KnownBlock[] = input.findings.map((f) => ({
      type: 'section',
      text: md(findingText(f)),
    }));
    const fixed = [...head, ...tail];
    middle = fitBlocks(
      findingBlocks,
      '',
      {
        maxBlocks: MESSAGE_BUDGET.maxBlocks - fixed.length,
        maxChars: MESSAGE_BUDGET.maxChars - blocksSize(fixed) - 2,
      },
      'Run `medic contract check` for the full report.',
    ).blocks;
  }

  const summary = s ? ` Recommended: ${s.recommendedAction.summary}` : '';
  const text = `${input.resolved ? '[resolved] ' : ''}${name}: ${t.title}. ${input.happened}${summary}`;
  return fitBlocks([...head, ...middle, ...tail], text);
}
