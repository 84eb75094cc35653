/**
 * Keeps Block Kit payloads inside Slack's limits: at most 50 blocks in a message (100 in a
 * view), 3000 characters of section text, 2000 per field (10 fields), 150 in a header, 75 in a
 * button label, and about 12k characters in all (measured as the JSON of the blocks, which is
 * an upper bound of the text). Blocks are kept in order; what does not fit is replaced by one
 * context block saying how much was left out. The fallback `text` is always present.
 */
import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  contextElements: 10,
  actionsElements: 25,
  messageChars: 12_000,
  fallbackText: 3000,
} as const;

export interface Budget {
  maxBlocks: number;
  /** Upper bound for JSON.stringify(blocks).length. */
  maxChars: number;
}

export const MESSAGE_BUDGET: Budget = { maxBlocks: LIMITS.messageBlocks, maxChars: LIMITS.messageChars };
export const VIEW_BUDGET: Budget = { maxBlocks: LIMITS.viewBlocks, maxChars: 100_000 };

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Clips the texts of one block to the per-block limits (copying, never mutating). */
export function clipBlock(block: KnownBlock): KnownBlock {
  if (block.type === 'header') {
    return { ...block, text: { ...block.text, text: clip(block.text.text, LIMITS.header) } };
  }
  if (block.type === 'section') {
    const out = { ...block };
    if (block.text) out.text = { ...block.text, text: clip(block.text.text, LIMITS.sectionText) };
    if (block.fields) {
      out.fields = block.fields
        .slice(0, LIMITS.fields)
        .map((f) => ({ ...f, text: clip(f.text, LIMITS.field) }));
    }
    return out;
  }
  if (block.type === 'context') {
    return { ...block, elements: block.elements.slice(0, LIMITS.contextElements) };
  }
  if (block.type === 'actions') {
    return { ...block, elements: block.elements.slice(0, LIMITS.actionsElements) };
  }
  return block;
}

function omitted(n: number, hint: string): KnownBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: clip(`…${n} more not shown. ${hint}`, LIMITS.sectionText) }],
  };
}

export interface Fitted {
  blocks: KnownBlock[];
  text: string;
  /** How many of the given blocks were left out. */
  dropped: number;
}

/**
 * Fits `blocks` into `budget`, keeping the leading blocks; `hint` tells the reader where the
 * rest is (e.g. "Use `/medic status <service>`."). `text` is the notification fallback.
 */
export function fitBlocks(
  blocks: KnownBlock[],
  text: string,
  budget: Budget = MESSAGE_BUDGET,
  hint = '',
): Fitted {
  // Clip only what can be kept (a block list far over budget need not be clipped in full).
  const clipped = blocks.slice(0, budget.maxBlocks + 1).map(clipBlock);
  const total = blocks.length;
  const fallback = clip(text.trim() || 'medic', LIMITS.fallbackText);
  if (total <= budget.maxBlocks && blocksSize(clipped) <= budget.maxChars) {
    return { blocks: clipped, text: fallback, dropped: 0 };
  }
  // Leave room for the "…N more" block (its size grows with N's digits: reserve for the worst).
  const reserve = JSON.stringify(omitted(total, hint)).length + 1;
  const kept: KnownBlock[] = [];
  let chars = 2; // the array brackets
  for (const block of clipped) {
    const size = JSON.stringify(block).length + 1;
    if (kept.length + 1 > budget.maxBlocks - 1 || chars + size > budget.maxChars - reserve) break;
    kept.push(block);
    chars += size;
  }
  const dropped = total - kept.length;
  kept.push(omitted(dropped, hint));
  return { blocks: kept, text: fallback, dropped };
}

/** Total characters of the blocks' JSON (what `fitBlocks` bounds). */
export function blocksSize(blocks: KnownBlock[]): number {
  return JSON.stringify(blocks).length;
}
