/**
 * The Slack bot (Bolt 5): `createSlackBot(deps)` returns the routes to mount on medic's HTTP
 * server (`/slack/events` for events, commands and interactivity; `/go/<service>`), plus
 * start/stop. It reaches medic only through GraphQL (`deps.graphql`: in-process over
 * `yoga.fetch`, or a remote API with a `bot` token) — reads, mutations, the event subscription,
 * and the bot-only pending actions, incident threads and event cursor. Outbound Slack calls go to SLACK_API_URL (tests: the fake
 * Web API) with retries off, so nothing is ever posted twice.
 *
 * Returns null when Slack is not configured (the caller logs "Slack bot disabled" once).
 */
import { App } from '@slack/bolt';
import { systemClock } from '../src/clock/clock.js';
import { type Env, slackConfigured } from '../src/config/env.js';
import { homeView } from './blocks/status.js';
import type { BotContext } from './context.js';
import { goHandler } from './go.js';
import { ensurePendingActions } from './graphql/bot-ops.js';
import { fetchServices } from './graphql/ops.js';
import { catchUp } from './incidents/catch-up.js';
import { type EventFeed, subscribeEvents } from './incidents/subscription.js';
import { IncidentTracker } from './incidents/tracker.js';
import { register as approve } from './listeners/actions/approve.js';
import { register as block } from './listeners/actions/block.js';
import { register as release } from './listeners/actions/release.js';
import { register as runbook } from './listeners/actions/runbook.js';
import { register as medicCommand } from './listeners/commands/medic.js';
import { register as appHome } from './listeners/events/app-home-opened.js';
import { boltLogger } from './logger.js';
import { MedicReceiver } from './receiver.js';
import { BOT_ACTOR, roleResolver } from './roles.js';
import { ChannelPoster, clockTiming, type PosterTiming } from './slack/poster.js';
import { slackFetch } from './slack/web-fetch.js';
import type { SlackBot, SlackBotDeps } from './types.js';
import { GroupRoles } from './usergroups.js';

/** Slack's Web API base URL, always with a trailing slash (the WebClient appends method names). */
export function apiUrl(env: Pick<Env, 'SLACK_API_URL'>): string {
  const base = env.SLACK_API_URL ?? 'https://slack.com/api/';
  return base.endsWith('/') ? base : `${base}/`;
}

export interface SlackBotHandle extends SlackBot {
  /** For tests and benches: resolves when queued incident work has been sent. */
  idle(): Promise<void>;
  tracker: IncidentTracker;
}

export function createSlackBot(deps: SlackBotDeps): SlackBotHandle | null {
  const { env } = deps;
  if (!slackConfigured(env)) return null;
  const logger = deps.logger.child({ component: 'slack' });
  const clock = deps.clock ?? systemClock;
  const timeZone = deps.timeZone ?? 'UTC';
  // Waits (post spacing, update coalescing, Retry-After) run on medic's one Clock (simulated
  // time in tests).
  const timing: PosterTiming = deps.posterTiming ?? clockTiming(clock);

  const receiver = new MedicReceiver({
    signingSecret: env.SLACK_SIGNING_SECRET!,
    teamId: env.SLACK_TEAM_ID,
    appId: env.SLACK_APP_ID,
    logger,
    clock,
    replayGuard: deps.replayGuard,
  });
  const app = new App({
    receiver,
    token: env.SLACK_BOT_TOKEN,
    tokenVerificationEnabled: false,
    ignoreSelf: false,
    logger: boltLogger(logger),
    clientOptions: {
      slackApiUrl: apiUrl(env),
      // No automatic retries: a timed-out chat.postMessage may have been delivered already.
      retryConfig: { retries: 0 },
      timeout: 10_000,
      // 429 + Retry-After honoured for every method, each call counted (slack/web-fetch.ts).
      fetch: slackFetch({ onCall: deps.onSlackCall, now: timing.now, sleep: timing.sleep }),
    },
  });
  const poster = new ChannelPoster(app.client, deps.postIntervalMs ?? 1000, timing, {
    updateIntervalMs: deps.updateIntervalMs,
    onError: (err, args) => logger.warn({ err, ts: args.ts }, 'slack incident update failed'),
  });
  const tracker = new IncidentTracker({
    graphql: deps.graphql,
    poster,
    channel: env.SLACK_CHANNEL!,
    logger,
    clock,
    timeZone,
  });
  const ids = { team: env.SLACK_TEAM_ID, app: env.SLACK_APP_ID };
  const groups = new GroupRoles(
    app.client,
    {
      operatorGroups: env.SLACK_OPERATOR_GROUPS,
      adminGroups: env.SLACK_ADMIN_GROUPS,
      ttlMs: env.SLACK_USERGROUP_TTL_SEC * 1000,
    },
    clock,
    (group, err) =>
      logger.warn({ err, group }, 'slack user group not readable: its members get no role from it'),
  );
  const roles = roleResolver(env, groups);

  const ctx: BotContext = {
    env,
    roles,
    graphql: deps.graphql,
    clock,
    timeZone,
    logger,
    tracker,
    client: app.client,
    async publishHome(userId) {
      const services = await fetchServices(deps.graphql, await roles.actor(userId));
      const ids = await ensurePendingActions(
        deps.graphql,
        BOT_ACTOR,
        services.map((s) => ({
          service: s.name,
          incident: tracker.incidentOf(s.name)?.key ?? `${s.name}#home`,
        })),
      );
      const view = homeView(services, (s) => ids.get(s.name) ?? {}, timeZone);
      await app.client.views.publish({ user_id: userId, view });
    },
  };
  app.error(async (err) => {
    logger.error({ err }, 'slack listener error');
  });
  approve(app, ctx);
  block(app, ctx);
  release(app, ctx);
  runbook(app);
  medicCommand(app, ctx);
  appHome(app, ctx);

  let feed: EventFeed | null = null;
  return {
    routes: [
      { prefix: '/slack/events', handle: (req, res) => receiver.handle(req, res) },
      { prefix: '/go/', handle: goHandler({ tracker, client: app.client, logger, ids: () => ids }) },
    ],
    tracker,
    async start() {
      if (!ids.team || !ids.app) {
        try {
          const auth = await app.client.auth.test();
          ids.team ??= typeof auth.team_id === 'string' ? auth.team_id : undefined;
          ids.app ??=
            typeof (auth as { app_id?: unknown }).app_id === 'string'
              ? (auth as { app_id: string }).app_id
              : undefined;
        } catch (err) {
          logger.warn({ err }, 'slack auth.test failed; continuing');
        }
      }
      await tracker.load();
      feed = subscribeEvents(
        deps.graphql,
        (e) => void tracker.handle(e),
        logger,
        1000,
        () => catchUp(deps.graphql, tracker, logger),
        clock,
      );
      await feed.ready;
      logger.info({ channel: env.SLACK_CHANNEL }, 'Slack bot started');
    },
    async stop() {
      await feed?.stop();
      await receiver.stop();
      await tracker.idle();
      await poster.flush(); // coalesced updates still waiting for their interval go out now
    },
    async idle() {
      await receiver.stop();
      await tracker.idle();
      await poster.idle();
    },
  };
}
