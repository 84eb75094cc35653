/**
 * The one place that mints pending-action ids (what Slack buttons carry), with the one TTL
 * (core/pending.ts `PENDING_ACTION_TTL_MS`). The engine mints the approve action when a
 * circuit opens (approval.ts); the API mints the ones an incident message shows, on the bot's
 * request (`ensurePendingActions`). Used ids are never reused.
 */
import { randomBytes } from 'node:crypto';
import {
  applicableKinds,
  PENDING_ACTION_TTL_MS,
  type PendingAction,
  type PendingActionKind,
} from '../core/pending.js';
import type { EngineStore } from './store-port.js';

/** An unguessable single-use id (16 random bytes, base64url). */
export function newActionId(): string {
  return randomBytes(16).toString('base64url');
}

/** Creates a fresh action of `kind` for `service` (valid PENDING_ACTION_TTL_MS from `now`). */
export function mintPendingAction(
  store: Pick<EngineStore, 'createPendingAction'>,
  service: string,
  kind: PendingActionKind,
  incident: string,
  now: number,
): PendingAction {
  return store.createPendingAction({
    id: newActionId(),
    service,
    kind,
    incident,
    createdAt: now,
    expiresAt: now + PENDING_ACTION_TTL_MS,
  });
}

/**
 * The ids behind an incident's buttons: one per kind that applies now (approve while an
 * approval is pending; release when held, else block). An unused, unexpired action of that kind
 * is reused (preferring one of this incident; the engine created the approve one when the
 * circuit opened), otherwise a new one is minted.
 */
export function ensurePendingActions(
  store: Pick<EngineStore, 'createPendingAction' | 'pendingActionsFor'>,
  service: { name: string; state: string; approvalPending: boolean },
  incident: string,
  now: number,
): Partial<Record<PendingActionKind, string>> {
  const open = store.pendingActionsFor(service.name).filter((p) => p.usedAt === null && p.expiresAt > now);
  const out: Partial<Record<PendingActionKind, string>> = {};
  for (const kind of applicableKinds(service)) {
    const existing =
      open.find((p) => p.kind === kind && p.incident === incident) ?? open.find((p) => p.kind === kind);
    out[kind] = existing?.id ?? mintPendingAction(store, service.name, kind, incident, now).id;
  }
  return out;
}
