/**
 * What the Slack bot needs from the rest of medic, and the shapes it reads back.
 *
 * The bot reaches medic only through GraphQL (reads, mutations, the `recoveryEvents`
 * subscription, and the bot-only pending actions, incidents and event cursor): one client, the
 * same whether the API is in-process or remote.
 */

import type { Env } from '../src/config/env.js';
import type { Clock } from '../src/core/clock.js';
import type { Role } from '../src/core/roles.js';
import type { ServiceStatus } from '../src/core/status.js';
import type { Logger } from '../src/log.js';
import type { ReplayGuard } from './replay.js';
import type { PosterTiming } from './slack/poster.js';

/** The caller of an in-process GraphQL operation: the Slack user (or the bot itself). */
export interface GraphqlActor {
  /** `slack:U012ABC` for users, `slack:bot` for the bot's own reads. */
  id: string;
  role: Role;
}

export interface GraphqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Runs one query or mutation as `actor`. */
export type GraphqlFn = (
  query: string,
  variables: Record<string, unknown>,
  actor: GraphqlActor,
) => Promise<GraphqlResult>;

/** Optionally, the same transport can stream a subscription (SSE over yoga.fetch). */
export interface GraphqlClient extends GraphqlFn {
  subscribe?: (
    query: string,
    variables: Record<string, unknown>,
    actor: GraphqlActor,
    hooks?: { onOpen?: () => void; signal?: AbortSignal },
  ) => AsyncIterable<GraphqlResult>;
}

/** The bot's clock: medic's one Clock (src/core/clock.ts). */
export type BotClock = Clock;

export interface SlackBotDeps {
  env: Env;
  /** medic's API: in-process (`graphqlOverYoga`) or remote (`graphqlOverHttp` with a `bot` token). */
  graphql: GraphqlClient;
  logger: Logger;
  /** medic's one clock (default: the system clock). */
  clock?: BotClock;
  /** Called for every Slack Web API exchange (medic_slack_api_calls_total). */
  onSlackCall?: (method: string, outcome: 'ok' | 'error' | 'rate_limited') => void;
  /** At most one chat.update per incident parent per this period (default 10,000 ms). */
  updateIntervalMs?: number;
  /** Time source of the poster's spacing, coalescing and Retry-After waits (default: the bot's `clock`, its monotonic time). */
  posterTiming?: PosterTiming;
  /** Minimum spacing between posts to one channel (default 1000 ms, Slack's ~1 msg/s). */
  postIntervalMs?: number;
  /** Time zone for "HH:MM" in messages (default UTC). */
  timeZone?: string;
  /** Durable memory of handled requests (default: in memory, forgotten on restart). */
  replayGuard?: ReplayGuard;
}

export interface Route {
  prefix: string;
  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void;
}

export interface SlackBot {
  routes: Route[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Times as they come over GraphQL (ISO strings) or from tests and caches (epoch ms). */
export type Time = number | string | null;

/**
 * A medic service as the bot reads it over GraphQL: the fields it selects of the API's one read
 * model (`ServiceStatus`, src/core/status.ts), so the two cannot drift apart.
 */
export type ServiceInfo = Pick<ServiceStatus, 'name' | 'unit' | 'state' | 'cooldown' | 'circuit' | 'hold'> & {
  mode?: ServiceStatus['mode'] | null;
  churn: Omit<ServiceStatus['churn'], 'blockedByReason'>;
  recommendedAction: ServiceStatus['recommendedAction'];
  lastDecision: ServiceStatus['lastDecision'];
  /** The maintenance window in force and its end (absent from older callers' selections). */
  maintenance?: Omit<NonNullable<ServiceStatus['maintenance']>, 'reason'> | null;
  /** Only the fleet budget's group is read (`budget_wait` says which group it waits in). */
  policy?: { budget: { group: string } | null } | null;
};

/** An audit event as delivered by `recoveryEvents`. */
export interface MedicEvent {
  id: number | string;
  at: Time;
  service: string | null;
  kind: string;
  decision: string | null;
  actor: string | null;
  reason: string | null;
  stateFrom?: string | null;
  stateTo?: string | null;
  data?: unknown;
  /** The service as this event left it (`serviceView`), when the event has a service. */
  view?: (ServiceInfo & { approvalPending: boolean }) | null;
}
