/**
 * `POST /agent/v1/budget/wait` (src/fleet/budget-protocol.ts): parks the node's slot notification
 * in the replica's `SlotWaits` (budget-wait.ts) until some of its services should ask for their
 * lease, or its bound. A node's wait `{ waits, waitMs }` is answered `{ ask }`; the previous
 * version's one-service wait `{ group, service, waitMs }` is answered `{ free }`. The wait ends
 * early when the agent hangs up; 503 BUSY when this replica holds as many waits as it may.
 */
import type { ServerResponse } from 'node:http';
import { nodeWaitRequestSchema, type WaitAnswer, waitRequestSchema } from '../fleet/budget-protocol.js';
import type { SlotWaits } from './budget-wait.js';
import { sendJson } from './ship-route.js';

export async function answerWait(
  raw: unknown,
  node: string,
  waits: SlotWaits,
  res: ServerResponse,
): Promise<void> {
  const many = nodeWaitRequestSchema.safeParse(raw);
  const one = many.success ? null : waitRequestSchema.safeParse(raw);
  if (!many.success && !one?.success) {
    const issue = (one?.success === false ? one.error : many.error).issues[0]!;
    return sendJson(res, 400, { error: { code: 'MALFORMED_REQUEST', message: issue.message } });
  }
  const { waitMs } = many.success ? many.data : one!.data!;
  const services = many.success
    ? many.data.waits
    : [{ group: one!.data!.group, service: one!.data!.service }];
  const wait = waits.wait(node, services, waitMs);
  if (!wait)
    return sendJson(res, 503, {
      error: { code: 'BUSY', message: 'this hub replica holds as many slot waits as it may' },
    });
  res.on('close', wait.cancel);
  const ask = await wait.ask;
  if (many.success) return sendJson(res, 200, { ask } satisfies WaitAnswer);
  return sendJson(res, 200, { free: ask.length > 0 });
}
