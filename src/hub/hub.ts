/**
 * The composition root of `medic hub` (issue 15): PostgreSQL pool → migrations (advisory lock)
 * → event bus (LISTEN/NOTIFY) → metrics → HTTP app → listen (HTTPS with MEDIC_TLS_CERT and
 * MEDIC_TLS_KEY) → sweeper (command expiry, node liveness). Stateless apart from PostgreSQL: several replicas may run against one database.
 * `close()` stops the sweeper, stops listening, then closes the bus and the pool.
 */

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { roleResolver } from '../../bot/roles.js';
import type { GraphqlFn } from '../../bot/types.js';
import { GroupRoles } from '../../bot/usergroups.js';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import { listen, type TlsFiles } from '../serve/http.js';
import { createHubApp } from './app.js';
import { HubBus } from './bus.js';
import { type HubDatabase, migrateHub, openHubDatabase } from './db.js';
import { HubEscalation, hubEscalationConfig } from './escalation.js';
import { HubMetrics } from './metrics.js';
import { SlackLeader } from './slack.js';
import { slackCall } from './slack-api.js';
import { createSlackRoute } from './slack-route.js';
import { Sweeper } from './sweeper.js';

/** One Slack contender per replica when Slack is configured (token and channel), else null. */
function startSlack(
  env: Env,
  database: HubDatabase,
  clock: Clock,
  log: Logger,
  metrics: HubMetrics,
  url: string,
  publicUrl: () => string,
): SlackLeader | null {
  if (!env.SLACK_BOT_TOKEN || !env.SLACK_CHANNEL || !env.MEDIC_HUB_DATABASE_URL) {
    log.info('hub Slack disabled (SLACK_BOT_TOKEN and SLACK_CHANNEL not set)');
    return null;
  }
  const leader = new SlackLeader({
    url: env.MEDIC_HUB_DATABASE_URL,
    db: database.db,
    clock,
    logger: log.child({ component: 'hub-slack' }),
    slack: {
      token: env.SLACK_BOT_TOKEN,
      channel: env.SLACK_CHANNEL,
      apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
    },
    retryMs: env.MEDIC_HUB_LEADER_RETRY_MS,
    replica: `${env.MEDIC_NODE_NAME}:${process.pid} ${url}`,
    publicUrl,
    onLeadership: (on) => metrics.slackLeader(on),
  });
  leader.start();
  return leader;
}

/**
 * `POST /slack/events` on every replica when Slack is fully configured (signing secret too):
 * clicks on the hub's incidents, `/medic`, App Home; roles from the id lists and user groups at
 * click time. A factory: the app hands it the hub's in-process GraphQL.
 */
function slackRoute(env: Env, database: HubDatabase, clock: Clock, log: Logger) {
  if (!env.SLACK_BOT_TOKEN || !env.SLACK_CHANNEL || !env.SLACK_SIGNING_SECRET) return undefined;
  const target = {
    token: env.SLACK_BOT_TOKEN,
    channel: env.SLACK_CHANNEL,
    apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
  };
  const logger = log.child({ component: 'hub-slack-events' });
  const groups = new GroupRoles(
    {
      usergroups: {
        users: { list: (args) => slackCall(target, clock, 'usergroups.users.list', args) },
      },
    },
    {
      operatorGroups: env.SLACK_OPERATOR_GROUPS,
      adminGroups: env.SLACK_ADMIN_GROUPS,
      ttlMs: env.SLACK_USERGROUP_TTL_SEC * 1000,
    },
    clock,
    (group, err) =>
      logger.warn({ err, group }, 'slack user group not readable: its members get no role from it'),
  );
  const signingSecret = env.SLACK_SIGNING_SECRET;
  return (graphql: GraphqlFn) =>
    createSlackRoute({
      db: database.db,
      clock,
      logger,
      signingSecret,
      roles: roleResolver(env, groups),
      commandTtlMs: env.MEDIC_HUB_COMMAND_TTL_SEC * 1000,
      graphql,
      slack: target,
      // Times in Slack texts, as the agent's bot shows them.
      timeZone: 'UTC',
    });
}

export interface RunningHub {
  url: string;
  database: HubDatabase;
  bus: HubBus;
  sweeper: Sweeper;
  /** The Slack leadership contender, when SLACK_BOT_TOKEN and SLACK_CHANNEL are set. */
  slack: SlackLeader | null;
  /** Paging of nodes gone dark, when a PagerDuty key or a webhook is configured. */
  escalation: HubEscalation | null;
  /** The replica's Prometheus registry (also served at /metrics). */
  metrics: HubMetrics;
  close(): Promise<void>;
}

export class HubConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/**
 * The certificate and key when MEDIC_TLS_CERT and MEDIC_TLS_KEY are set (the config checked both
 * are readable PEM files), else undefined: plain HTTP. Checked as a pair before anything starts,
 * so a key that is not the certificate's is one configuration error (exit 2).
 */
export function hubTls(env: Env): TlsFiles | undefined {
  if (!env.MEDIC_TLS_CERT || !env.MEDIC_TLS_KEY) return undefined;
  const files = { cert: readFileSync(env.MEDIC_TLS_CERT), key: readFileSync(env.MEDIC_TLS_KEY) };
  try {
    createSecureContext(files);
  } catch (err) {
    throw new HubConfigError(
      `MEDIC_TLS_CERT / MEDIC_TLS_KEY cannot be used: ${(err as Error).message} (is the key the certificate's?)`,
    );
  }
  return files;
}

export async function startHub(opts: { env: Env; logger: Logger; clock?: Clock }): Promise<RunningHub> {
  const { env } = opts;
  const log = opts.logger.child({ component: 'hub' });
  const clock = opts.clock ?? systemClock;
  if (!env.MEDIC_HUB_DATABASE_URL)
    throw new HubConfigError('MEDIC_HUB_DATABASE_URL is required for medic hub');
  const tls = hubTls(env);
  const database = openHubDatabase(env.MEDIC_HUB_DATABASE_URL);
  const bus = new HubBus(env.MEDIC_HUB_DATABASE_URL, database.db, clock, log.child({ component: 'hub-bus' }));
  const undo: (() => Promise<void>)[] = [() => database.close(), () => bus.close()];
  const closeAll = async () => {
    for (const fn of undo.reverse()) await fn().catch(() => {});
    undo.length = 0;
  };
  try {
    await migrateHub(database.pool);
    await bus.start();
    const silenceMs = env.MEDIC_HUB_SILENCE_SEC * 1000;
    const metrics = new HubMetrics(database.db, clock, silenceMs);
    let publicUrl = env.MEDIC_PUBLIC_URL ?? '';
    const app = createHubApp({
      database,
      clock,
      metrics,
      logger: log,
      bus,
      silenceMs,
      commandTtlMs: env.MEDIC_HUB_COMMAND_TTL_SEC * 1000,
      commandWaitMs: env.MEDIC_HUB_COMMAND_WAIT_MS,
      budgetBatch: env.MEDIC_HUB_BUDGET_BATCH,
      budgetLanes: env.MEDIC_HUB_BUDGET_LANES,
      budgetOptimistic: env.MEDIC_HUB_BUDGET_OPTIMISTIC === 1,
      budgetLeaseGapMs: env.MEDIC_HUB_BUDGET_LEASE_GAP_MS,
      slackEvents: slackRoute(env, database, clock, log),
      publicUrl: () => publicUrl,
    });
    undo.push(() => app.close());
    const http = await listen(app.handler, env.MEDIC_HOST, env.MEDIC_PORT, tls);
    undo.push(() => http.close());
    http.server.on('upgrade', app.upgrade);
    publicUrl ||= http.url;
    const sweeper = new Sweeper({
      db: database.db,
      clock,
      logger: log,
      intervalMs: env.MEDIC_HUB_SWEEP_MS,
      silenceMs,
      onPruned: (rows) => metrics.leasesPruned(rows),
    });
    sweeper.start();
    undo.push(() => sweeper.stop());
    const slack = startSlack(env, database, clock, log, metrics, http.url, () => publicUrl);
    if (slack) undo.push(() => slack.stop());
    const escalationConfig = hubEscalationConfig(env, env.MEDIC_PUBLIC_URL ?? http.url);
    const escalation = escalationConfig
      ? new HubEscalation({
          db: database.db,
          bus,
          config: escalationConfig,
          clock,
          logger: log.child({ component: 'hub-escalation' }),
          pollMs: env.MEDIC_HUB_SWEEP_MS,
          onOutcome: (target, outcome) => metrics.escalation(target, outcome),
        })
      : null;
    if (escalation) {
      await escalation.start();
      undo.push(() => escalation.stop());
    }
    log.info({ url: http.url }, `medic hub serving on ${http.url}`);
    return { url: http.url, database, bus, sweeper, slack, escalation, metrics, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
