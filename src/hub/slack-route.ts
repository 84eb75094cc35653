/**
 * `POST /slack/events` at the hub (any replica): Slack's interactivity requests for the hub's
 * service incidents (slack-services.ts).
 *
 * - The request must be signed with SLACK_SIGNING_SECRET (v0 HMAC over the raw body, timestamp
 *   within 5 minutes both ways: bot/verify.ts, the agent's verifier); otherwise 401 and nothing
 *   else happens (logged once per minute with a count).
 * - Events API `url_verification` is answered with its challenge.
 * - A click on Approve / Block (`block_actions`) is role-checked at click time (SLACK_OPERATORS /
 *   SLACK_ADMINS and the user groups, bot/roles.ts) and becomes a fleet command
 *   (approveRestart, or holdService with the chosen TTL) for the node's agent, which runs it
 *   through its own guards. The answer is 200 at once (Slack wants one within 3 s); the Slack
 *   leader updates the incident message when the result (or the expiry) comes back.
 * - Refusals (a viewer, an unknown service) are answered to the clicking user only
 *   (`response_url`, ephemeral); a refusal by role is audited as the hub event `access_denied`,
 *   the first of each user per minute with the count of refusals it stands for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoleResolver } from '../../bot/roles.js';
import { verifySignature } from '../../bot/verify.js';
import type { Clock } from '../clock/clock.js';
import { hasRole } from '../core/roles.js';
import { RefusalThrottle } from '../core/throttle.js';
import type { Logger } from '../log.js';
import { issueCommand } from './commands.js';
import type { HubDb } from './db.js';
import { recordHubEvent } from './events.js';
import { findService } from './nodes.js';
import { readBody, sendJson } from './ship-route.js';
import { slackRespond } from './slack-api.js';
import { HUB_ACTION, HUB_BLOCK_TTLS, parseControlValue } from './slack-services.js';

export const SLACK_EVENTS_PATH = '/slack/events';
const MAX_BODY = 256 * 1024;

export interface SlackRouteDeps {
  db: HubDb;
  clock: Clock;
  logger: Logger;
  signingSecret: string;
  roles: RoleResolver;
  commandTtlMs: number;
  /** Ephemeral answers to the clicking user (default: POST to the response_url). */
  respond?: (responseUrl: string, text: string) => Promise<void>;
}

interface BlockActions {
  type: 'block_actions';
  user?: { id?: string };
  response_url?: string;
  actions?: { action_id?: string; value?: string; selected_option?: { value?: string } }[];
}

export function createSlackRoute(deps: SlackRouteDeps) {
  const { clock, logger } = deps;
  const unsigned = new RefusalThrottle();
  const denials = new RefusalThrottle();
  const respond = deps.respond ?? ((url: string, text: string) => slackRespond(clock, url, text));

  return async function handleSlackEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    const raw = await readBody(req, MAX_BODY);
    if (raw === null) return sendJson(res, 413, { error: 'request body too large' });
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const verdict = verifySignature({
      signingSecret: deps.signingSecret,
      timestamp: header('x-slack-request-timestamp'),
      signature: header('x-slack-signature'),
      rawBody: raw,
      nowMs: clock.now(),
    });
    if (!verdict.ok) {
      const v = unsigned.refuse('slack', verdict.reason, clock.now());
      if (v.write)
        logger.warn({ reason: verdict.reason, count: v.count }, 'unsigned request to /slack/events refused');
      return sendJson(res, 401, { error: `invalid Slack signature (${verdict.reason})` });
    }
    const text = raw.toString('utf8');
    if ((header('content-type') ?? '').startsWith('application/json')) {
      let body: { type?: string; challenge?: string };
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'body is not JSON' });
      }
      if (body.type === 'url_verification') return sendJson(res, 200, { challenge: body.challenge });
      return sendJson(res, 200, {});
    }
    let payload: BlockActions | null = null;
    try {
      payload = JSON.parse(new URLSearchParams(text).get('payload') ?? 'null');
    } catch {
      return sendJson(res, 400, { error: 'payload is not JSON' });
    }
    // Acknowledge first: the command and its result are asynchronous anyway.
    sendJson(res, 200, {});
    if (payload?.type !== 'block_actions') return;
    try {
      await click(payload);
    } catch (err) {
      logger.error({ err }, 'Slack click at the hub failed');
      if (payload.response_url)
        await respond(payload.response_url, ':warning: medic could not take that click; try again.').catch(
          () => {},
        );
    }
  };

  async function click(p: BlockActions): Promise<void> {
    const action = p.actions?.[0];
    const user = p.user?.id;
    if (!action || !user) return;
    const approve = action.action_id === HUB_ACTION.approve;
    if (!approve && action.action_id !== HUB_ACTION.block) return;
    const target = parseControlValue(approve ? action.value : action.selected_option?.value);
    if (!target || (!approve && !HUB_BLOCK_TTLS.some((t) => t.sec === target.ttlSec))) return;
    const say = (text: string) => (p.response_url ? respond(p.response_url, text) : Promise.resolve());
    const operation = approve ? 'approveRestart' : 'holdService';
    const actor = await deps.roles.actor(user);
    const now = clock.now();
    if (!hasRole(actor.role, 'operator')) {
      const v = denials.refuse(actor.id, operation, now);
      if (v.write)
        await recordHubEvent(deps.db, {
          at: now,
          kind: 'access_denied',
          node: target.node,
          service: target.service,
          actor: actor.id,
          data: {
            operation,
            role: actor.role,
            required: 'operator',
            via: 'slack',
            count: v.count,
            firstAt: v.firstAt,
            lastAt: v.lastAt,
          },
        });
      return say(`:no_entry: ${operation} needs role operator; you are a ${actor.role}.`);
    }
    const found = await findService(deps.db, target.node, target.service);
    if (!found.ok) return say(`:warning: ${found.message}`);
    await issueCommand(
      deps.db,
      {
        node: target.node,
        service: target.service,
        operation,
        args: approve ? {} : { ttlSec: target.ttlSec },
        actor: actor.id,
        role: actor.role,
        reason: approve ? 'Approved in Slack' : `Blocked in Slack for ${target.ttlSec}s`,
      },
      now,
      deps.commandTtlMs,
    );
  }
}
