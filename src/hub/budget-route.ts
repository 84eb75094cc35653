/**
 * `POST /agent/v1/budget/lease` and `POST /agent/v1/budget/finish` (src/fleet/budget-protocol.ts):
 * agent tokens only (the lease's node is the token's node, never the body's), a small JSON body
 * validated (budget-body.ts: by hand, else zod), then the PostgreSQL arbitration of src/hub/budget.ts, batched per group
 * (src/hub/budget-batch.ts); `WAIT_PATH` holds a denied agent's slot notification open
 * (src/hub/budget-wait-route.ts: one per node; the wait ends early if the agent hangs up). A denial carries `retryInMs` too: the hub's `retryAt` as a duration
 * on the hub's own clock, so an agent whose clock differs still waits the right time. PostgreSQL
 * unreachable → 503 HUB_UNAVAILABLE: the agent applies its policy's `onHubUnreachable`. A lease
 * request's `WAIT_HEADER` (how long its agent waits) gives it a deadline counted from its arrival
 * here (src/hub/budget-expiry.ts): past it before its batch, 503 LEASE_REQUEST_EXPIRED, nothing
 * granted, counted in `medic_budget_lease_requests_expired_total`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock/clock.js';
import {
  FINISH_PATH,
  LEASE_PATH,
  LEASE_REQUEST_EXPIRED,
  WAIT_HEADER,
  WAIT_PATH,
} from '../fleet/budget-protocol.js';
import type { Logger } from '../log.js';
import type { HubAuthenticator } from './auth.js';
import type { LeaseBatcher } from './budget-batch.js';
import { parseFinishBody, parseLeaseBody } from './budget-body.js';
import { LeaseRequestExpired, leaseDeadline, parseWaitHeader } from './budget-expiry.js';
import type { FinishBatcher } from './budget-finish-batch.js';
import type { SlotWaits } from './budget-wait.js';
import { answerWait } from './budget-wait-route.js';
import type { HubDb } from './db.js';
import { ServerTiming } from './server-timing.js';
import { readBody, sendJson } from './ship-route.js';

const MAX_BODY_BYTES = 16 * 1024;

export interface BudgetRouteDeps {
  db: HubDb;
  /** The replica's lease batcher (one per hub process). */
  leases: LeaseBatcher;
  /** The replica's finish batcher (one UPDATE per batch of finishes). */
  finishes: FinishBatcher;
  /** The replica's slot notifications (budget-wait.ts). */
  waits: SlotWaits;
  auth: HubAuthenticator;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** A lease request answered LEASE_REQUEST_EXPIRED (its agent no longer waited). */
  onExpired?: () => void;
}

export const BUDGET_PATHS: readonly string[] = [LEASE_PATH, FINISH_PATH, WAIT_PATH];
const budgetPaths = new Set(BUDGET_PATHS);
/** Whether the hub's router hands `path` (the URL without its query) to handleBudget. */
export const isBudgetPath = (path: string): boolean => budgetPaths.has(path);

const refuse = (res: ServerResponse, status: number, code: string, message: string) =>
  sendJson(res, status, { error: { code, message } });

/** `path`: the request's URL without its query, if the caller has it already. */
export async function handleBudget(
  req: IncomingMessage,
  res: ServerResponse,
  deps: BudgetRouteDeps,
  path = (req.url ?? '').split('?')[0],
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
  // The agent's wait is counted from here: everything after (auth, the body, the queue) is in it.
  const arrivedAt = deps.clock.now();
  // Every answer says where the hub's time went (a Server-Timing header: auth, body, queue, tx).
  const timing = new ServerTiming();
  // The token cached a few seconds (auth.ts AGENT_TOKEN_CACHE_MS): no query of its own per
  // request, and then no promise either (answered synchronously).
  const found = deps.auth.agent(req.headers.authorization);
  const who = 'ok' in found ? found : await found;
  if (!who.ok) return refuse(res, who.status, who.code, who.message);
  if (who.token.role !== 'agent' || !who.token.node)
    return refuse(res, 403, 'WRONG_ROLE', `token '${who.token.name}' is not an agent token`);
  const node = who.token.node;
  timing.mark('auth');
  // A declared length (node enforces it) bounds the read; chunked bodies are not needed here.
  if (req.headers['content-length'] === undefined)
    return refuse(res, 411, 'LENGTH_REQUIRED', 'send Content-Length');
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES)
    return refuse(res, 413, 'REQUEST_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`);
  let raw: unknown;
  try {
    // Listeners, not the stream's async iterator (stream/consumers `text`): measured in the hub's
    // profile under the lease bench, the iterator's machinery cost more than the parse.
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) return refuse(res, 413, 'REQUEST_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`);
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(res, 400, 'MALFORMED_REQUEST', 'body is not JSON');
  }
  timing.mark('body');
  try {
    if (path === LEASE_PATH) {
      const parsed = parseLeaseBody(raw);
      if (!parsed.success) return refuse(res, 400, 'MALFORMED_REQUEST', parsed.error.issues[0]!.message);
      const waitMs = parseWaitHeader(req.headers[WAIT_HEADER]);
      if (waitMs === null)
        return refuse(
          res,
          400,
          'MALFORMED_REQUEST',
          `${WAIT_HEADER} is not a whole number of ms up to 60000`,
        );
      const deadline = waitMs === undefined ? undefined : leaseDeadline(arrivedAt, waitMs);
      const { group, limits, ...lease } = parsed.data;
      const answer = await deps.leases
        .request(group, limits, { ...lease, node }, timing, deadline)
        .catch((err: unknown) => {
          if (!(err instanceof LeaseRequestExpired)) throw err;
          return err;
        });
      if (answer instanceof LeaseRequestExpired) {
        deps.onExpired?.();
        return refuse(res, 503, LEASE_REQUEST_EXPIRED, answer.message);
      }
      if (answer.granted) return sendJson(res, 200, answer, timing.header());
      const retryInMs = Math.max(0, answer.retryAt - deps.clock.now());
      return sendJson(res, 200, { ...answer, retryInMs }, timing.header());
    }
    if (path === WAIT_PATH) return await answerWait(raw, node, deps.waits, res);
    const parsed = parseFinishBody(raw);
    if (!parsed.success) return refuse(res, 400, 'MALFORMED_REQUEST', parsed.error.issues[0]!.message);
    const ended = await deps.finishes.finish(parsed.data.id, timing);
    return sendJson(res, 200, { ended }, timing.header());
  } catch (err) {
    deps.logger.error({ err, node }, 'budget request failed: PostgreSQL unreachable?');
    return refuse(res, 503, 'HUB_UNAVAILABLE', 'the hub database is unreachable');
  }
}
