/**
 * Stable runbook anchors (without '#'). They appear in Slack messages, GraphQL and the rendered
 * runbook, so renaming one breaks links in old incident threads: add, never rename.
 * - recommended actions: `action-<code with dashes>` (e.g. `action-inspect-and-approve`);
 * - decision codes: `decision-<code with dashes>` (e.g. `decision-skip-circuit-open`).
 */
import {
  DECISION_CODES,
  type DecisionCode,
  RECOMMENDED_ACTION_CODES,
  type RecommendedActionCode,
} from './types.js';

const ACTIONS: ReadonlySet<string> = new Set(RECOMMENDED_ACTION_CODES);

export function runbookAnchor(code: RecommendedActionCode | DecisionCode): string {
  const slug = code.replaceAll('_', '-');
  return ACTIONS.has(code) ? `action-${slug}` : `decision-${slug}`;
}

/** Every anchor the runbook must define (the runbook renderer and its test use this list). */
export function allRunbookAnchors(): string[] {
  return [...RECOMMENDED_ACTION_CODES, ...DECISION_CODES].map(runbookAnchor);
}
