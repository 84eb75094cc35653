/**
 * The store's records: what it keeps beyond the core vocabulary (audit events, intents and
 * pending actions live in src/core): tokens, policy versions, holds, intent outcomes, Slack
 * incidents, and the event query.
 */
import type { Intent } from '../core/audit.js';
import type { EventKind } from '../core/codes.js';
import type { PendingAction } from '../core/pending.js';
import type { TokenRole } from '../core/roles.js';

export interface EventQuery {
  service?: string;
  kinds?: EventKind[];
  since?: number;
  /** Page size (default 50, max 500). */
  first?: number;
  /** Cursor: return events with id greater than this (oldest first) ... */
  after?: number;
  /** ... or, when `order` is 'desc', events with id lower than this, newest first. */
  order?: 'asc' | 'desc';
}

export interface TokenRecord {
  name: string;
  role: TokenRole;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface PolicyVersion {
  version: number;
  hash: string;
  /** The policies map ({name: Policy}) and service→policy assignment, as applied. */
  content: Record<string, unknown>;
  author: string;
  reason: string;
  createdAt: number;
  active: boolean;
}

/** An intent with its outcome (null while open). */
export interface IntentRecord extends Intent {
  outcome: string | null;
  completedAt: number | null;
}

/** A hold, current (`releasedAt` null) or past. `releasedBy` is 'expired' when its TTL ran out. */
export interface HoldRecord {
  id: number;
  service: string;
  actor: string;
  reason: string;
  setAt: number;
  until: number;
  releasedAt: number | null;
  releasedBy: string | null;
}

export type ClaimResult = { ok: true; action: PendingAction } | { ok: false; action: PendingAction | null };

export interface NewPolicyVersion {
  hash: string;
  content: Record<string, unknown>;
  author: string;
  reason: string;
  createdAt: number;
}

/**
 * A Slack incident as the bot persists it (one parent message per service + episode), so that
 * after a restart follow-ups go to the same thread. `closedAt` is null while open.
 */
export interface SlackIncidentRecord {
  /** `<service>#<event id>` of the opening event (`drift:<service|contract>#<id>` for drift). */
  key: string;
  /** The service name, or `drift:<service|contract>`. */
  slot: string;
  service: string | null;
  channel: string;
  /** Parent message ts (null until posted). */
  ts: string | null;
  openedAt: number;
  closedAt: number | null;
  /** Highest event id applied to this incident. */
  lastEventId: number;
  /** What the bot needs to re-render the parent (opaque to the store). */
  data: Record<string, unknown>;
}
