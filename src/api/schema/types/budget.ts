/**
 * `budgetGroups(name)` on an agent (issue 16): the fleet restart budget groups this host's
 * policies name, each with its limits (this host's policy), the numbers of the hub's last answer
 * (null until the hub answered once, or without a hub) and this host's own services waiting in
 * it. The same `BudgetGroup` type as at the hub (shared/budget.ts), where the numbers and the
 * waiting services are the whole fleet's.
 */
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { localNode } from '../service-id.js';
import { type BudgetGroupShape, budgetGroupType } from '../shared/budget.js';

const BudgetGroupRef = budgetGroupType(builder);

export function agentBudgetGroups(ctx: ApiContext): BudgetGroupShape[] {
  const heard = ctx.budget?.heard();
  const groups = new Map<string, BudgetGroupShape>();
  for (const v of ctx.engine.views()) {
    const b = v.policy.budget;
    if (!b) continue;
    let g = groups.get(b.group);
    if (!g) {
      const h = heard?.get(b.group);
      g = {
        name: b.group,
        maxConcurrent: b.maxConcurrent,
        maxPerWindow: b.maxPerWindow,
        windowSec: b.windowSec,
        inFlight: h?.inFlight ?? null,
        usedInWindow: h?.usedInWindow ?? null,
        waiting: h?.waiting ?? null,
        heardAt: h?.at ?? null,
        waitingServices: [],
      };
      groups.set(b.group, g);
    }
    if (v.state.tag === 'budget_wait' && v.state.group === b.group) {
      g.waitingServices.push({
        node: localNode(ctx),
        service: v.name,
        since: v.state.since,
        position: v.state.denied?.position ?? null,
      });
    }
  }
  const out = [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const g of out)
    g.waitingServices.sort((a, b) => a.since - b.since || (a.service < b.service ? -1 : 1));
  return out;
}

builder.queryField('budgetGroups', (t) =>
  t.field({
    type: [BudgetGroupRef],
    description:
      "Fleet restart budget groups this host's policies name (at the hub: the whole fleet), by name.",
    args: { name: t.arg.string({ required: false, description: 'Only this group.' }) },
    resolve: (_r, a, ctx) => agentBudgetGroups(ctx).filter((g) => !a.name || g.name === a.name),
  }),
);
