/**
 * `BudgetGroup`: a fleet restart budget group (issue 16), the same type on the agent and the hub,
 * so `budgetGroups { name inFlight usedInWindow waiting maxConcurrent waitingServices { node
 * service since } }` runs unchanged against either (MEDIC_URL pointed at one or the other).
 * - at the hub: every group from the lease table, as of now; every waiting service of the fleet;
 * - on an agent: the groups its own policies name, with the numbers of the hub's last answer
 *   (null until the hub answered once: `heardAt` null) and its own waiting services only.
 */
import { perBuilder } from './builder.js';

export interface BudgetWaiterShape {
  node: string;
  service: string;
  /** Since when it waits (epoch ms). */
  since: number;
  /** Its place in line (1 = next), as the hub last said; null when unknown. */
  position: number | null;
}

export interface BudgetGroupShape {
  name: string;
  maxConcurrent: number;
  maxPerWindow: number;
  windowSec: number;
  inFlight: number | null;
  usedInWindow: number | null;
  waiting: number | null;
  /** When these numbers were true: now at the hub; the hub's last answer on an agent (null: never). */
  heardAt: number | null;
  waitingServices: BudgetWaiterShape[];
}

export const budgetGroupType = perBuilder((builder) => {
  const Waiter = builder.objectRef<BudgetWaiterShape>('BudgetWaiter').implement({
    description: 'A service waiting for a lease in its fleet budget group.',
    fields: (t) => ({
      node: t.exposeString('node'),
      service: t.exposeString('service'),
      since: t.field({ type: 'DateTime', description: 'Since when it waits.', resolve: (w) => w.since }),
      position: t.exposeInt('position', {
        nullable: true,
        description: 'Its place in line (1 = next; oldest waiting first).',
      }),
    }),
  });
  return builder.objectRef<BudgetGroupShape>('BudgetGroup').implement({
    description:
      'A fleet restart budget group: restarts in flight and used in the window against its limits, and the services waiting. At the hub: the whole fleet now; on an agent: as the hub last answered it, with its own waiting services.',
    fields: (t) => ({
      name: t.exposeString('name'),
      maxConcurrent: t.exposeInt('maxConcurrent', { description: 'Restarts in flight at once.' }),
      maxPerWindow: t.exposeInt('maxPerWindow', { description: 'Restarts started per window.' }),
      windowSec: t.exposeFloat('windowSec'),
      inFlight: t.exposeInt('inFlight', {
        nullable: true,
        description: 'Leases in flight fleet-wide (null on an agent the hub never answered for this group).',
      }),
      usedInWindow: t.exposeInt('usedInWindow', { nullable: true }),
      waiting: t.exposeInt('waiting', { nullable: true, description: 'Services waiting, fleet-wide.' }),
      heardAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the numbers were true: now at the hub; the hub’s last answer on an agent.',
        resolve: (g) => g.heardAt,
      }),
      waitingServices: t.field({
        type: [Waiter],
        description: 'Waiting services, oldest first (on an agent: its own).',
        resolve: (g) => g.waitingServices,
      }),
    }),
  });
});
