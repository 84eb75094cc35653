/**
 * What the Slack bot needs from the rest of medic, and the shapes it reads back.
 *
 * The bot reaches medic only through GraphQL (reads, mutations, the `recoveryEvents`
 * subscription) plus the store's single-use pending actions (button ids, compare-and-set).
 */
import type { Env } from '../src/config/env.js';
import type { TokenRole } from '../src/core/roles.js';
import type { Logger } from '../src/log.js';
import type { Store } from '../src/store/types.js';

/** The caller of an in-process GraphQL operation: the Slack user (or the bot itself). */
export interface GraphqlActor {
  /** `slack:U012ABC` for users, `slack:bot` for the bot's own reads. */
  id: string;
  role: TokenRole;
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

/** The store methods the bot uses (src/store/sqlite.ts `Store` implements them). */
export type PendingActionStore = Pick<
  Store,
  'createPendingAction' | 'getPendingAction' | 'claimPendingAction' | 'pendingActionsFor'
>;

/** What the incident tracker persists (open incidents, the event cursor) on top of the above. */
export type BotStore = PendingActionStore &
  Pick<
    Store,
    'upsertSlackIncident' | 'openSlackIncidents' | 'closeSlackIncident' | 'eventCursor' | 'advanceEventCursor'
  >;

export interface BotClock {
  now(): number;
}

export interface SlackBotDeps {
  env: Env;
  graphql: GraphqlClient;
  store: BotStore;
  logger: Logger;
  clock?: BotClock;
  /** Called for every Slack Web API exchange (medic_slack_api_calls_total). */
  onSlackCall?: (method: string, outcome: 'ok' | 'error' | 'rate_limited') => void;
  /** Minimum spacing between posts to one channel (default 1000 ms, Slack's ~1 msg/s). */
  postIntervalMs?: number;
  /** Time zone for "HH:MM" in messages (default UTC). */
  timeZone?: string;
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

/** A medic service as the bot reads it over GraphQL (times: epoch ms or ISO strings). */
export type Time = number | string | null;
export interface ServiceInfo {
  name: string;
  unit: string;
  state: string;
  mode?: string | null;
  churn: {
    restartsInWindow: number;
    windowSec: number;
    maxRestarts: number;
    totalRestarts: number;
    blockedAttempts: number;
    circuitOpens: number;
    lastRestartAt: Time;
  };
  cooldown: { active: boolean; until: Time };
  circuit: { state: string; openedAt: Time; reopensAt: Time };
  hold: { actor: string; reason: string; until: Time } | null;
  recommendedAction: { code: string; summary: string; command: string; runbookUrl: string | null };
  lastDecision: { decision: string; reason: string | null; at: Time; actor: string | null } | null;
}

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
}
