/**
 * The agent's fleet budget edge (issue 16): the engine's `BudgetPort` over the hub client
 * (src/agent/budget-client.ts) when MEDIC_HUB_URL and MEDIC_HUB_TOKEN are set. Without a hub
 * there is no port: the engine answers every request `budget_unreachable` and the policy's
 * `onHubUnreachable` decides (local: restart under the local limits; wait: no automatic restart).
 *
 * - Lease ids are `node/service/uuid`. A request whose answer never came (timed out, or any other
 *   `budget_unreachable`: it may have been granted) is not forgotten:
 *   - an automatic request of an `onHubUnreachable: wait` policy asks again with the same id
 *     (LeaseIds, src/agent/lease-ids.ts; until it is answered) — the arbiter is idempotent on
 *     the id, so a grant it never heard of comes back instead of a second slot (the slot
 *     notification names such a grant at once: src/fleet/slot-notice.ts);
 *   - any other (`local`: the restart runs at once under the local limits; an operator's) is
 *     never asked again, so the id is ended (`RELEASE_AFTER_TIMEOUTS` × timeoutMs later, as a
 *     finish; not when the hub answered that it arbitrated nothing): a grant would otherwise hold its slot
 *     until the lease's TTL. The delay lets an arbitration that started before the hub's deadline
 *     for the request (src/hub/budget-expiry.ts) commit first; a grant later still lapses at its TTL.
 *   The hub keys waiters by node and service, so a waiter keeps its place whatever the id.
 * - The lease's TTL at the hub is `leaseTtlSec(policy)`: longer than any restart's startup grace,
 *   so a lease lapses only when the agent died (its outcome would otherwise be known first).
 * - decide() gets a duration (`retryInMs`): the hub's own when it sends one (measured on its
 *   clock), else its `retryAt` (a time on the hub's clock) less this agent's now.
 * - The last numbers heard per group are kept for the views and `medic_budget_in_flight`.
 * - A finish the hub did not confirm is sent again (FINISH_RETRY; the hub is idempotent on the
 *   lease id): a lost finish would hold the group's slot until the lease's TTL — seen in the
 *   1,000 × 20 storm bench, where overloaded finishes timed out and slots stayed taken for 70 s.
 * - After a denial (or, for `onHubUnreachable: wait`, an unanswered request) the engine watches
 *   for a slot (`awaitSlot`) through the node's one slot notification (NodeSlotWatch,
 *   src/agent/slot-watch.ts: one wait at the hub for every waiting service, SLOT_WAIT_MS + the
 *   policy's timeoutMs, re-opened while services wait): the service is named as soon as it should
 *   ask; the engine then asks for its lease at once, and re-asks otherwise only as a safety net.
 *   A failed notification (an older hub, the hub down) turns them off for NOTIFY_BACKOFF_MS.
 */
import { BudgetClient, type SlotWait } from '../agent/budget-client.js';
import { LeaseIds } from '../agent/lease-ids.js';
import { NodeSlotWatch } from '../agent/slot-watch.js';
import type { Clock } from '../clock/clock.js';
import type { Policy } from '../core/policy.js';
import type { BudgetNumbers } from '../core/types.js';
import type { BudgetPort, BudgetReply, ServiceConfig } from '../engine/types.js';
import { backoffMs, type RetryPolicy } from '../escalation/backoff.js';
import type { Logger } from '../log.js';

/** An unanswered request that is not asked again is ended this many of its timeouts after it timed out. */
export const RELEASE_AFTER_TIMEOUTS = 2;

/** The lease TTL the hub is told: twice the startup grace plus a minute (a dead agent frees it then). */
export function leaseTtlSec(policy: Policy): number {
  return Math.ceil(2 * policy.startupGraceSec + 60);
}

/** How long a slot notification is held open at the hub; re-opened while the service waits. */
export const SLOT_WAIT_MS = 25_000;
/** After a failed notification, denials re-ask at the usual cadence for this long. */
export const NOTIFY_BACKOFF_MS = 60_000;

/**
 * Attempts to end a lease: the delays are ~0.25, 0.5, 1, 2, then 4 s (equal jitter) — ≈ 16 s of
 * trying plus the timeouts, still below the shortest lease TTL (60 s) — then the TTL applies.
 * Four attempts (≈ 2 s) were too few: the 300 × 20 storm bench lost 806 finishes to an
 * overloaded hub, each holding its slot for the TTL (70 s).
 */
export const FINISH_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 250, maxMs: 4000, timeoutMs: 500 };

export interface HeardNumbers extends BudgetNumbers {
  /** When the hub last answered for this group (agent wall time). */
  at: number;
}

export interface AgentBudget extends BudgetPort {
  /** The last numbers the hub gave per group (empty until it answered once). */
  heard(): ReadonlyMap<string, HeardNumbers>;
}

export interface BudgetHooks {
  answered?(group: string, reply: BudgetReply): void;
  waited?(group: string, seconds: number): void;
}

export function createAgentBudget(opts: {
  hubUrl: string;
  token: string;
  node: string;
  clock: Clock;
  logger: Logger;
  hooks?: BudgetHooks;
  /** Jitter source of the finish retries (tests pin it). */
  random?: () => number;
}): AgentBudget {
  const client = new BudgetClient({ hubUrl: opts.hubUrl, token: opts.token, clock: opts.clock });
  const heard = new Map<string, HeardNumbers>();
  const log = opts.logger.child({ component: 'budget' });
  const ids = new LeaseIds(opts.node);
  /** The timeout of the node's wait beyond its bound (the largest of the budgeted policies seen). */
  let waitTimeoutMs = FINISH_RETRY.timeoutMs;
  const slots = new NodeSlotWatch(
    (waits, signal) => client.waitForSlots(waits, SLOT_WAIT_MS, waitTimeoutMs, signal),
    opts.clock,
  );
  /** Notifications are used again from this time on (a failure turns them off for a while). */
  let notifyingFrom = 0;
  /** Ends the lease an unanswered request may have got, which nothing will ask for again. */
  const release = (service: ServiceConfig, id: string) => {
    const ms = RELEASE_AFTER_TIMEOUTS * (service.policy.budget?.timeoutMs ?? FINISH_RETRY.timeoutMs);
    opts.clock.setTimeout(() => {
      port.finish(service, id).catch((err) => log.warn({ err, leaseId: id }, 'fleet budget: release failed'));
    }, ms);
  };
  const port: AgentBudget = {
    heard: () => heard,
    async request(service: ServiceConfig, operator: boolean): Promise<BudgetReply> {
      const budget = service.policy.budget;
      if (!budget) return { type: 'budget_unreachable', reason: 'the policy names no budget' };
      const limits = {
        maxConcurrent: budget.maxConcurrent,
        maxPerWindow: budget.maxPerWindow,
        windowSec: budget.windowSec,
        leaseTtlSec: leaseTtlSec(service.policy),
      };
      const id = operator ? ids.fresh(service.name) : ids.auto(budget.group, service.name);
      const answer = await client.request(
        budget.group,
        limits,
        { id, service: service.name, operator },
        budget.timeoutMs,
      );
      // An unanswered request may have been granted: asked again with its id (an automatic one of
      // a `wait` policy), else ended — nothing will ask for it again.
      const again = !operator && budget.onHubUnreachable === 'wait';
      if (answer.type === 'budget_unreachable' && again) ids.unanswered(budget.group, service.name, id);
      else if (!operator) ids.answered(budget.group, service.name);
      if (answer.type === 'budget_unreachable' && !again && !answer.nothingGranted) release(service, id);
      let reply: BudgetReply;
      if (answer.type === 'budget_unreachable') {
        log.warn(
          { service: service.name, group: budget.group, reason: answer.reason },
          'fleet budget: hub unreachable',
        );
        reply = { type: 'budget_unreachable', reason: answer.reason };
      } else {
        heard.set(budget.group, { ...answer.numbers, at: opts.clock.now() });
        reply =
          answer.type === 'budget_granted'
            ? { type: 'budget_granted', leaseId: answer.leaseId, ...answer.numbers }
            : {
                type: 'budget_denied',
                retryInMs: Math.max(0, answer.retryInMs ?? answer.retryAt - opts.clock.now()),
                position: answer.position,
                ...answer.numbers,
              };
      }
      opts.hooks?.answered?.(budget.group, reply);
      return reply;
    },
    async finish(service: ServiceConfig, leaseId: string): Promise<void> {
      const timeoutMs = service.policy.budget?.timeoutMs ?? FINISH_RETRY.timeoutMs;
      for (let attempt = 1; attempt <= FINISH_RETRY.maxAttempts; attempt++) {
        if (await client.finish(leaseId, timeoutMs)) return;
        if (attempt === FINISH_RETRY.maxAttempts) break;
        const ms = backoffMs(attempt, FINISH_RETRY, (opts.random ?? Math.random)());
        await new Promise<void>((resolve) => opts.clock.setTimeout(resolve, ms));
      }
      log.warn(
        { service: service.name, leaseId, attempts: FINISH_RETRY.maxAttempts },
        'fleet budget: could not end the lease; it lapses at its TTL',
      );
    },
    async awaitSlot(service: ServiceConfig, group: string, signal: AbortSignal): Promise<SlotWait> {
      waitTimeoutMs = Math.max(waitTimeoutMs, service.policy.budget?.timeoutMs ?? FINISH_RETRY.timeoutMs);
      const outcome = await slots.watch(group, service.name, signal);
      if (outcome === 'failed') {
        if (notifyingFrom <= opts.clock.now())
          log.warn(
            { service: service.name, group },
            'fleet budget: the slot notification failed; re-asking as usual for a minute',
          );
        notifyingFrom = opts.clock.now() + NOTIFY_BACKOFF_MS;
      }
      return outcome;
    },
    notifying: () => notifyingFrom <= opts.clock.now(),
    waited(service: ServiceConfig, group: string, waitedMs: number): void {
      opts.hooks?.waited?.(group, waitedMs / 1000);
      void service;
    },
  };
  return port;
}
