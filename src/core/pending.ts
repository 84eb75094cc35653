/**
 * Pending actions: the single-use, unguessable ids behind Slack's Approve / Block / Release
 * buttons (claimed compare-and-set: the first click wins). The engine mints the approve one
 * when a circuit opens; the API mints the others on the bot's request — both through
 * `src/engine/pending.ts`, the one place that mints ids, with this one TTL.
 */
import type { ServiceState } from './types.js';

export const PENDING_ACTION_KINDS = ['approve', 'block', 'release'] as const;
export type PendingActionKind = (typeof PENDING_ACTION_KINDS)[number];

/** How long a minted id stays valid if the state does not expire it first (clicks are re-checked anyway). */
export const PENDING_ACTION_TTL_MS = 24 * 3600_000;

export interface PendingAction {
  /** Opaque, unguessable, single-use (what Slack buttons carry). */
  id: string;
  service: string;
  kind: PendingActionKind;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedBy: string | null;
  /** Incident key (service + episode) this action belongs to. */
  incident: string;
}

/** Same rule as the view's `approvalPending`: an approve command would be accepted now. */
export function approvalOpen(s: ServiceState): boolean {
  return s.tag === 'circuit_open' || (s.tag === 'half_open' && !s.probeUsed);
}

/** The kinds of action that apply to a service now: approve while an approval is pending; release when held, else block. */
export function applicableKinds(s: { state: string; approvalPending: boolean }): PendingActionKind[] {
  const kinds: PendingActionKind[] = [];
  if (s.approvalPending) kinds.push('approve');
  if (s.state === 'held') kinds.push('release');
  else kinds.push('block');
  return kinds;
}
