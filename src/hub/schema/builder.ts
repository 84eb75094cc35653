/**
 * The hub's Pothos builder and context. Every request carries the authenticated principal (a hub
 * token: viewer, operator, admin or bot; agent tokens never reach GraphQL).
 */
import SchemaBuilder from '@pothos/core';
import type { Clock } from '../../clock/clock.js';
import type { TokenRole } from '../../core/roles.js';
import type { HubBus } from '../bus.js';
import type { HubDb } from '../db.js';
import type { HubDenials } from '../denials.js';

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
  /** Aborted when the client goes away (subscriptions end on it). */
  signal: AbortSignal;
}

export const builder = new SchemaBuilder<{
  Context: HubContext;
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: number; Output: number }; JSON: { Input: unknown; Output: unknown } };
}>({ defaultFieldNullability: false });

builder.scalarType('DateTime', {
  description: 'An instant as an ISO-8601 string in UTC.',
  serialize: (ms) => new Date(ms).toISOString(),
  parseValue: (v) => Date.parse(String(v)),
});
builder.scalarType('JSON', { description: 'Free-form JSON.', serialize: (v) => v, parseValue: (v) => v });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
