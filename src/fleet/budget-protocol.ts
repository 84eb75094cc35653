/**
 * The agent ↔ hub budget protocol (issue 16). With an agent token (its node comes from the token):
 * - `POST /agent/v1/budget/lease` `{ group, limits, id, service, operator }` → 200 with the
 *   arbiter's answer (`{ granted: true, lease, numbers }` or `{ granted: false, retryAt, position,
 *   numbers }`). `id` is minted by the agent per restart, so a retried request gets the same lease.
 * - `POST /agent/v1/budget/finish` `{ id }` → 200 `{ ended }` once the restart's outcome is known.
 * - `POST /agent/v1/budget/wait` `{ group, service, waitMs }` → 200 `{ free }`: the slot
 *   notification. A denied agent may hold this request open; the hub answers `free: true` as
 *   soon as a slot is free for this service (it is among the oldest waiters the free slots would
 *   go to: `nextInLine`), else `free: false` after `waitMs` (at most `MAX_WAIT_MS`). It grants
 *   nothing: the agent then asks for its lease as usual, through the arbiter.
 * Refusals as for shipping: 401, 403 (not an agent token), 400 MALFORMED_REQUEST, 503 HUB_UNAVAILABLE.
 * An agent that gets no answer within the policy's `timeoutMs` applies `onHubUnreachable`.
 */
import { z } from 'zod';

export const LEASE_PATH = '/agent/v1/budget/lease';
export const FINISH_PATH = '/agent/v1/budget/finish';
export const WAIT_PATH = '/agent/v1/budget/wait';
/** The longest a slot notification is held open by the hub. */
export const MAX_WAIT_MS = 30_000;

const name = z.string().min(1).max(200);

export const budgetLimitsSchema = z.strictObject({
  maxConcurrent: z.number().int().positive(),
  maxPerWindow: z.number().int().positive(),
  windowSec: z.number().positive(),
  leaseTtlSec: z.number().positive().max(86_400),
});

export const leaseRequestSchema = z.strictObject({
  group: name,
  limits: budgetLimitsSchema,
  id: name,
  service: name,
  operator: z.boolean(),
});

export const finishRequestSchema = z.strictObject({ id: name });

export const waitRequestSchema = z.strictObject({
  group: name,
  service: name,
  waitMs: z.number().int().min(0).max(MAX_WAIT_MS),
});

export type LeaseRequestBody = z.infer<typeof leaseRequestSchema>;
