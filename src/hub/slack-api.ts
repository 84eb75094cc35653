/**
 * The hub's Slack Web API calls (chat.postMessage, chat.update, usergroups.users.list) and
 * `response_url` answers: one POST with a 10 s timeout on the Clock. Throws on any failure
 * (HTTP error, `ok: false`), so a leader round is retried from its cursor.
 */
import type { Clock } from '../clock/clock.js';

export interface SlackTarget {
  token: string;
  channel: string;
  /** Ends with /api/ (default https://slack.com/api/). */
  apiUrl: string;
}

export type SlackAnswer = { ok?: boolean; ts?: string; error?: string; users?: string[] } & Record<
  string,
  unknown
>;

async function post(clock: Clock, url: URL | string, headers: Record<string, string>, body: unknown) {
  const abort = new AbortController();
  const timer = clock.setTimeout(() => abort.abort(new Error('Slack did not answer within 10 s')), 10_000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
    return { res, body: (await res.json().catch(() => null)) as SlackAnswer | null };
  } finally {
    clock.clearTimeout(timer);
  }
}

/** One Web API method call; returns Slack's answer (`ok: true`). */
export async function slackCall(
  slack: SlackTarget,
  clock: Clock,
  method: string,
  args: Record<string, unknown>,
): Promise<SlackAnswer> {
  const { res, body } = await post(
    clock,
    new URL(method, slack.apiUrl),
    { authorization: `Bearer ${slack.token}` },
    args,
  );
  if (!res.ok || !body?.ok)
    throw new Error(`Slack ${method} failed: HTTP ${res.status} ${body?.error ?? ''}`.trim());
  return body;
}

/** An ephemeral answer to the clicking user through the interaction's `response_url`. */
export async function slackRespond(clock: Clock, responseUrl: string, text: string): Promise<void> {
  const { res } = await post(
    clock,
    responseUrl,
    {},
    { response_type: 'ephemeral', replace_original: false, text },
  );
  if (!res.ok) throw new Error(`Slack response_url answered HTTP ${res.status}`);
}
