/**
 * The hub's Pothos builder and context. The builder is configured like the agent's
 * (src/api/schema/shared/builder.ts: same scalars and defaults), and the types both schemas show
 * come from src/api/schema/shared. Every request carries the authenticated principal (a hub
 * token: viewer, operator, admin or bot; agent tokens never reach GraphQL).
 */
import { createMedicBuilder } from '../../api/schema/shared/builder.js';
import type { Clock } from '../../clock/clock.js';
import type { TokenRole } from '../../core/roles.js';
import type { HubBus } from '../bus.js';
import type { HubDb } from '../db.js';
import type { HubDenials } from '../denials.js';
import type { RecentEvents } from '../recent-events.js';

export interface HubPrincipal {
  /** The token's name. */
  name: string;
  role: TokenRole;
}

export interface HubContext {
  db: HubDb;
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  silenceMs: number;
  principal: HubPrincipal;
  bus: HubBus;
  /** A command expires when its node has not answered within this (MEDIC_HUB_COMMAND_TTL_SEC). */
  commandTtlMs: number;
  /** A mutation waits this long for the agent's result before answering `pending`. */
  commandWaitMs: number;
  /** Refusals by role, audited once per minute per token and operation (denials.ts). */
  denials: HubDenials;
  /** Base of runbook links in the services' recommended actions (MEDIC_PUBLIC_URL or the hub's URL). */
  publicUrl: string;
  /** This request's batch of `Service.events(first)` reads: one query for a page of services. */
  recentEvents: RecentEvents;
  /** Aborted when the client goes away (subscriptions end on it). */
  signal: AbortSignal;
}

export const builder = createMedicBuilder<HubContext>();
