/**
 * `POST /slack/events` at the hub (any replica): Slack's interactivity requests for the hub's
 * service incidents (slack-services.ts).
 *
 * - The request must be signed with SLACK_SIGNING_SECRET (v0 HMAC over the raw body, timestamp
 *   within 5 minutes both ways: bot/verify.ts, the agent's verifier); otherwise 401 and nothing
 *   else happens (logged once per minute with a count).
 * - Events API `url_verification` is answered with its challenge; `app_home_opened` publishes the
 *   user's App Home (the fleet summary with controls, slack-fleet-blocks.ts) through GraphQL as
 *   that user.
 * - `/medic` (a slash command: form fields `command`, `text`) is answered by slack-command.ts.
 * - A click on Approve / Block / Release (`block_actions`) is role-checked at click time
 *   (SLACK_OPERATORS / SLACK_ADMINS and the user groups, bot/roles.ts) and becomes a fleet command
 *   (approveRestart, holdService with the chosen TTL, releaseService) for the node's agent, which runs it
 *   through its own guards. The answer is 200 at once (Slack wants one within 3 s); the Slack
 *   leader updates the incident message when the result (or the expiry) comes back.
 * - Refusals (a viewer, an unknown service) are answered to the clicking user only
 *   (`response_url`, ephemeral); a refusal by role is audited as the hub event `access_denied`,
 *   the first of each user per minute with the count of refusals it stands for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BLOCK_TTLS } from '../../bot/blocks/actions.js';
import type { RoleResolver } from '../../bot/roles.js';
import type { GraphqlFn } from '../../bot/types.js';
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
import { type SlackTarget, slackCall, slackRespond } from './slack-api.js';
import { answerCommand } from './slack-command.js';
import { HUB_ACTION, parseControlValue } from './slack-controls.js';
import { fleetHomeView } from './slack-fleet-blocks.js';
import { fleetSummary } from './slack-ops.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** The fleet command each control stands for. */
const OPERATION: Record<string, 'approveRestart' | 'holdService' | 'releaseService'> = {
  [HUB_ACTION.approve]: 'approveRestart',
  [HUB_ACTION.block]: 'holdService',
  [HUB_ACTION.release]: 'releaseService',
};
const REASON: Record<string, string> = {
  approveRestart: 'Approved in Slack',
  releaseService: 'Released in Slack',
};
const MAX_BODY = 256 * 1024;

export interface SlackRouteDeps {
  db: HubDb;
  clock: Clock;
  logger: Logger;
  signingSecret: string;
  roles: RoleResolver;
  commandTtlMs: number;
  /** The hub's own GraphQL, in-process as the Slack user (`/medic`, App Home). */
  graphql: GraphqlFn;
  /** The Web API (views.publish for App Home). */
  slack: SlackTarget;
  /** Times in Slack texts (SLACK_TIMEZONE). */
  timeZone: string;
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
      sendJson(res, 200, {});
      const event = (body as { event?: { type?: string; user?: string; tab?: string } }).event;
      if (
        body.type === 'event_callback' &&
        event?.type === 'app_home_opened' &&
        event.user &&
        event.tab !== 'messages'
      )
        await publishHome(event.user).catch((err) =>
          logger.warn({ err }, 'App Home at the hub not published'),
        );
      return;
    }
    const form = new URLSearchParams(text);
    if (form.get('command')) return slashCommand(form, res);
    let payload: BlockActions | null = null;
    try {
      payload = JSON.parse(form.get('payload') ?? 'null');
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

  async function publishHome(user: string): Promise<void> {
    const actor = await deps.roles.actor(user);
    const view = fleetHomeView(await fleetSummary(deps.graphql, actor), deps.timeZone);
    await slackCall(deps.slack, clock, 'views.publish', { user_id: user, view });
  }

  async function slashCommand(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const user = form.get('user_id') ?? '';
    const responseUrl = form.get('response_url');
    if (form.get('command') !== '/medic' || !user)
      return sendJson(res, 200, { response_type: 'ephemeral', text: 'Unknown command.' });
    const actor = await deps.roles.actor(user);
    const followUp = (t: string) => (responseUrl ? respond(responseUrl, t) : Promise.resolve());
    try {
      const { now, later } = await answerCommand(form.get('text') ?? '', {
        graphql: deps.graphql,
        actor,
        timeZone: deps.timeZone,
        followUp,
      });
      sendJson(res, 200, { response_type: 'ephemeral', ...now });
      logger.info(
        { command: (form.get('text') ?? '').split(/\s+/)[0] || 'help', user },
        'slack command at the hub',
      );
      await later?.catch((err) => logger.warn({ err }, 'slack command follow-up not sent'));
    } catch (err) {
      logger.error({ err }, 'slack command at the hub failed');
      if (!res.headersSent)
        sendJson(res, 200, {
          response_type: 'ephemeral',
          text: 'medic could not answer that right now; see the hub logs.',
        });
    }
  }

  async function click(p: BlockActions): Promise<void> {
    const action = p.actions?.[0];
    const user = p.user?.id;
    if (!action || !user) return;
    const operation = OPERATION[action.action_id ?? ''];
    if (!operation) return;
    const block = operation === 'holdService';
    const target = parseControlValue(block ? action.selected_option?.value : action.value);
    if (!target || (block && !BLOCK_TTLS.some((t) => t.sec === target.ttlSec))) return;
    const say = (text: string) => (p.response_url ? respond(p.response_url, text) : Promise.resolve());
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
        args: block ? { ttlSec: target.ttlSec } : {},
        actor: actor.id,
        role: actor.role,
        reason: block ? `Blocked in Slack for ${target.ttlSec}s` : REASON[operation]!,
      },
      now,
      deps.commandTtlMs,
    );
  }
}
