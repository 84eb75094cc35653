/**
 * The agent ↔ hub budget protocol (issue 16). With an agent token (its node comes from the token):
 * - `POST /agent/v1/budget/lease` `{ group, limits, id, service, operator }` → 200 with the
 *   arbiter's answer (`{ granted: true, lease, numbers }` or `{ granted: false, retryAt, position,
 *   numbers }`). `id` is minted by the agent per restart, so a retried request gets the same lease.
 * - `POST /agent/v1/budget/finish` `{ id }` → 200 `{ ended }` once the restart's outcome is known.
 * - `POST /agent/v1/budget/wait` `{ waits: [{ group, service }], waitMs }` → 200 `{ ask: [{ group,
 *   service }] }`: the slot notification, **one per node** for all its waiting services (at most
 *   `MAX_WAITS`). The hub answers as soon as some of them should ask for their lease now
 *   (src/fleet/slot-notice.ts `mayAsk`: among the oldest waiters the free slots would go to, a
 *   grant that never reached its agent, an unknown service that would be granted now), naming
 *   them; else `ask: []` after `waitMs` (at most `MAX_WAIT_MS`). It grants nothing: the agent
 *   then asks for those leases as usual, through the arbiter. The older one-service form
 *   `{ group, service, waitMs }` → `{ free }` is still answered (agents of the previous version).
 * Refusals as for shipping: 401, 403 (not an agent token), 400 MALFORMED_REQUEST, 503 HUB_UNAVAILABLE.
 * An agent that gets no answer within the policy's `timeoutMs` applies `onHubUnreachable`.
 *
 * **How long the agent waits** (`WAIT_HEADER`, `Medic-Wait-Ms: <ms>` on a lease request): the
 * agent's timeout as a duration from sending — never a clock time, the agent's and the hub's
 * clocks differ. The hub counts it from the request's arrival, less a margin for the answer's way
 * back (src/hub/budget-expiry.ts), and does not arbitrate a request whose batch would start after
 * that: its agent has given up, and a grant would be lost and hold its slot. Such a request is
 * answered **503 `LEASE_REQUEST_EXPIRED`** and grants nothing; the agent (if it still listens)
 * takes it, like any non-200, as `budget_unreachable`, so it keeps the request's id and asks
 * again with it (`onHubUnreachable: wait`) or ends it (`local`; src/serve/budget.ts).
 * A header, not a body field, so both directions keep working: the hubs before it validate the
 * body with a strict schema (an unknown key is 400 MALFORMED_REQUEST) but ignore unknown
 * headers; an agent before it sends none, and its requests are arbitrated however late (as
 * before). A value that is not a whole number of ms in [0, MAX_LEASE_WAIT_MS] is 400.
 */
import { z } from 'zod';

export const LEASE_PATH = '/agent/v1/budget/lease';
export const FINISH_PATH = '/agent/v1/budget/finish';
export const WAIT_PATH = '/agent/v1/budget/wait';
/** The lease request's header: how long its agent waits for the answer, in ms from sending. */
export const WAIT_HEADER = 'medic-wait-ms';
/** The largest `WAIT_HEADER` the hub takes (a policy's `timeoutMs` is at most 60 s). */
export const MAX_LEASE_WAIT_MS = 60_000;
/** The refusal of a lease request whose agent has given up waiting before the hub got to it. */
export const LEASE_REQUEST_EXPIRED = 'LEASE_REQUEST_EXPIRED';
/** The longest a slot notification is held open by the hub. */
export const MAX_WAIT_MS = 30_000;

/** The longest group, service or lease id (zod counts code points). */
export const MAX_NAME_LENGTH = 200;
/** The longest lease TTL an agent may ask for (a day). */
export const MAX_LEASE_TTL_SEC = 86_400;

const name = z.string().min(1).max(MAX_NAME_LENGTH);

export const budgetLimitsSchema = z.strictObject({
  maxConcurrent: z.number().int().positive(),
  maxPerWindow: z.number().int().positive(),
  windowSec: z.number().positive(),
  leaseTtlSec: z.number().positive().max(MAX_LEASE_TTL_SEC),
});

export const leaseRequestSchema = z.strictObject({
  group: name,
  limits: budgetLimitsSchema,
  id: name,
  service: name,
  operator: z.boolean(),
});

export const finishRequestSchema = z.strictObject({ id: name });

/** The most services one node's wait may name (the body stays below the route's 16 KB for names of ~150 characters). */
export const MAX_WAITS = 50;

const waitMs = z.number().int().min(0).max(MAX_WAIT_MS);
const waitedFor = z.strictObject({ group: name, service: name });

/** One node's wait for all its waiting services. */
export const nodeWaitRequestSchema = z.strictObject({
  waits: z.array(waitedFor).min(1).max(MAX_WAITS),
  waitMs,
});
/** The one-service wait of agents of the previous version (answered `{ free }`). */
export const waitRequestSchema = z.strictObject({ group: name, service: name, waitMs });

export type WaitAnswer = { ask: z.infer<typeof waitedFor>[] };

export type LeaseRequestBody = z.infer<typeof leaseRequestSchema>;
