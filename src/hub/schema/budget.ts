/**
 * `budgetGroups(name)` at the hub (issue 16): every fleet restart budget group from the lease
 * table, as of now — in flight, used in the window, the newest limits an agent sent, every
 * waiting service oldest first. The type is shared with the agent (src/api/schema/shared/budget.ts).
 */
import { type BudgetGroupShape, budgetGroupType } from '../../api/schema/shared/budget.js';
import { type GroupView, groupViews } from '../budget.js';
import { builder } from './builder.js';

const BudgetGroupRef = budgetGroupType(builder);

export function groupShape(v: GroupView, now: number): BudgetGroupShape {
  return {
    name: v.group,
    maxConcurrent: v.limits.maxConcurrent,
    maxPerWindow: v.limits.maxPerWindow,
    windowSec: v.limits.windowSec,
    inFlight: v.inFlight,
    usedInWindow: v.usedInWindow,
    waiting: v.waiting,
    heardAt: now,
    waitingServices: v.waitingServices.map((w, i) => ({ ...w, position: i + 1 })),
  };
}

builder.queryField('budgetGroups', (t) =>
  t.field({
    type: [BudgetGroupRef],
    description: 'Fleet restart budget groups (at the hub: the whole fleet, now), by name.',
    args: { name: t.arg.string({ required: false, description: 'Only this group.' }) },
    resolve: async (_r, a, ctx) => {
      const now = ctx.clock.now();
      return (await groupViews(ctx.db, now, a.name ? [a.name] : undefined)).map((v) => groupShape(v, now));
    },
  }),
);
