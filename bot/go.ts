/**
 * `GET /go/<service>`: a stable link (used by the runbook) that lands the operator on the
 * pending action — a 302 to the current incident message's permalink (`chat.getPermalink`),
 * or, with no incident, to the app's Home tab (`slack://app?team=…&id=…&tab=home`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '@slack/bolt';
import type { Logger } from '../src/log.js';
import type { IncidentTracker } from './incidents/tracker.js';

export interface GoDeps {
  tracker: IncidentTracker;
  client: App['client'];
  logger: Logger;
  /** Team and app ids for the Home deep link (from SLACK_TEAM_ID/SLACK_APP_ID or auth.test). */
  ids: () => { team?: string; app?: string };
}

export function homeLink(ids: { team?: string; app?: string }): string {
  const q = new URLSearchParams();
  if (ids.team) q.set('team', ids.team);
  if (ids.app) q.set('id', ids.app);
  q.set('tab', 'home');
  return `slack://app?${q.toString()}`;
}

export async function goTarget(deps: GoDeps, service: string): Promise<string> {
  const inc = deps.tracker.incidentOf(service);
  if (inc?.ts) {
    try {
      const res = await deps.client.chat.getPermalink({ channel: inc.channel, message_ts: inc.ts });
      if (typeof res.permalink === 'string') return res.permalink;
    } catch (err) {
      deps.logger.warn({ err, service }, 'chat.getPermalink failed; linking to App Home');
    }
  }
  return homeLink(deps.ids());
}

export function goHandler(deps: GoDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://medic.internal');
    const match = /^\/go\/([^/]+)\/?$/.exec(url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('usage: /go/<service>');
      return;
    }
    const service = decodeURIComponent(match[1]);
    goTarget(deps, service)
      .then((location) => {
        res.writeHead(302, { location, 'cache-control': 'no-store' }).end();
      })
      .catch((err: unknown) => {
        deps.logger.error({ err }, '/go failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
  };
}
