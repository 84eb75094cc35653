/**
 * Real signed requests to the bot's receiver, shaped like Slack sends them: slash commands and
 * interactivity form-encoded (`payload=<json>` for block_actions), events as JSON. Every request
 * is signed with the v0 HMAC over the exact bytes sent.
 */
import { randomBytes } from 'node:crypto';
import { signV0 } from '../../bot/verify.js';

export interface SendOptions {
  secret: string;
  /** Seconds since epoch for X-Slack-Request-Timestamp. */
  timestamp: number;
  /** Override the signature (to test bad ones). */
  signature?: string;
  headers?: Record<string, string>;
}

export interface Sent {
  status: number;
  text: string;
  ms: number;
}

export async function sendSigned(
  url: string,
  body: string,
  contentType: string,
  opts: SendOptions,
): Promise<Sent> {
  const ts = String(opts.timestamp);
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': ts,
      'x-slack-signature': opts.signature ?? signV0(opts.secret, ts, body),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const FORM = 'application/x-www-form-urlencoded';

const id = (p: string) => `${p}${randomBytes(6).toString('hex')}`;

export interface Who {
  team: string;
  app: string;
  user: string;
  channel: string;
}

export function slashCommand(who: Who, text: string, responseUrl: string): string {
  return form({
    token: 'legacy-verification-token',
    team_id: who.team,
    team_domain: 'fake',
    channel_id: who.channel,
    channel_name: 'incidents',
    user_id: who.user,
    user_name: who.user.toLowerCase(),
    command: '/medic',
    text,
    api_app_id: who.app,
    response_url: responseUrl,
    trigger_id: id('trig.'),
  });
}

export interface ClickOptions {
  actionId: string;
  value?: string;
  selectedValue?: string;
  messageTs?: string;
  responseUrl?: string;
  triggerId?: string;
  actionTs?: string;
  /** 'home' for a click in App Home. */
  view?: 'home';
}

export function blockActions(who: Who, o: ClickOptions): string {
  const action: Record<string, unknown> = {
    action_id: o.actionId,
    block_id: 'medic_incident_actions',
    action_ts: o.actionTs ?? `${Date.now() / 1000}`,
  };
  if (o.selectedValue !== undefined) {
    action.type = 'static_select';
    action.selected_option = { text: { type: 'plain_text', text: 'x' }, value: o.selectedValue };
  } else {
    action.type = 'button';
    action.value = o.value;
  }
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: who.user, username: who.user.toLowerCase(), team_id: who.team },
    api_app_id: who.app,
    token: 'legacy-verification-token',
    team: { id: who.team, domain: 'fake' },
    trigger_id: o.triggerId ?? id('trig.'),
    actions: [action],
  };
  if (o.view === 'home') {
    payload.container = { type: 'view', view_id: 'V1' };
    payload.view = { id: 'V1', type: 'home', blocks: [] };
  } else {
    payload.container = {
      type: 'message',
      message_ts: o.messageTs ?? '1.0',
      channel_id: who.channel,
      is_ephemeral: false,
    };
    payload.channel = { id: who.channel, name: 'incidents' };
    payload.message = { ts: o.messageTs ?? '1.0', type: 'message', text: 'incident' };
    payload.response_url = o.responseUrl;
  }
  return form({ payload: JSON.stringify(payload) });
}

export function appHomeOpened(who: Who, eventId = id('Ev')): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: who.team,
    api_app_id: who.app,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'app_home_opened',
      user: who.user,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: `${Date.now() / 1000}`,
    },
    authorizations: [{ team_id: who.team, user_id: 'U0MEDICBOT', is_bot: true }],
  });
}
