/**
 * What clients of `budgetGroups` select, and the JSON it answers (DateTime fields as ISO text):
 * one selection for the status page (src/api/ui/budget.ts), `medic status` and `medic budget`,
 * against an agent or the hub (the same field on both, budget.ts).
 */
export const BUDGET_FIELDS = `name maxConcurrent maxPerWindow windowSec inFlight usedInWindow waiting heardAt
  waitingServices { node service since position }`;

/** One group as `BUDGET_FIELDS` returns it. */
export interface BudgetGroupRow {
  name: string;
  maxConcurrent: number;
  maxPerWindow: number;
  windowSec: number;
  /** null on an agent the hub never answered for this group. */
  inFlight: number | null;
  usedInWindow: number | null;
  waiting: number | null;
  heardAt: string | null;
  waitingServices: { node: string; service: string; since: string; position: number | null }[];
}
