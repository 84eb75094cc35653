/**
 * The fleet restart budget groups (issue 16) as `medic status` summarises them under its table:
 * one line per group — in flight and used in the window against the limits, how many wait, as
 * of when — and where to look next (`medic budget GROUP` while services wait). No groups (no
 * policy names `budget`): no lines. Pure: `now` is an input.
 */
import { BUDGET_FIELDS, type BudgetGroupRow } from '../../api/schema/shared/budget-query.js';
import { ago } from '../../core/relative.js';

export { BUDGET_FIELDS, type BudgetGroupRow };

const num = (n: number | null) => (n === null ? '?' : String(n));

/** The summary lines (a heading and one line per group), or none without groups. */
export function budgetSummary(groups: BudgetGroupRow[], now: number): string[] {
  if (groups.length === 0) return [];
  const lines = ['fleet restart budget:'];
  for (const g of groups) {
    const waits = Math.max(g.waiting ?? 0, g.waitingServices.length);
    // The hub's "now" may be a moment after this CLI's: never "as of in 0s".
    const at = g.heardAt ? new Date(Math.min(Date.parse(g.heardAt), now - 1)).toISOString() : null;
    const asOf = at ? `as of ${ago(at, now)}` : 'the hub has not answered yet';
    lines.push(
      `  ${g.name}: ${num(g.inFlight)}/${g.maxConcurrent} in flight, ${num(g.usedInWindow)}/${g.maxPerWindow} used in ${g.windowSec}s, ` +
        `${num(g.waiting)} waiting (${asOf})${waits > 0 ? ` — see \`medic budget ${g.name}\`` : ''}`,
    );
  }
  return lines;
}
