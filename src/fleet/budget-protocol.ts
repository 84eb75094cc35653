/**
 * The agent ↔ hub budget protocol (issue 16). With an agent token (its node comes from the token):
 * - `POST /agent/v1/budget/lease` `{ group, limits, id, service, operator }` → 200 with the
 *   arbiter's answer (`{ granted: true, lease, numbers }` or `{ granted: false, retryAt, position,
 *   numbers }`). `id` is minted by the agent per restart, so a retried request gets the same lease.
 * - `POST /agent/v1/budget/finish` `{ id }` → 200 `{ ended }` once the restart's outcome is known.
 * Refusals as for shipping: 401, 403 (not an agent token), 400 MALFORMED_REQUEST, 503 HUB_UNAVAILABLE.
 * An agent that gets no answer within the policy's `timeoutMs` applies `onHubUnreachable`.
 */
import { z } from 'zod';

export const LEASE_PATH = '/agent/v1/budget/lease';
export const FINISH_PATH = '/agent/v1/budget/finish';

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

export type LeaseRequestBody = z.infer<typeof leaseRequestSchema>;
