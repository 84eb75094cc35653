/**
 * The pending actions behind an incident's buttons. A button is shown only while its action
 * applies (approve: an approval is pending; block: not held; release: held); an unused,
 * unexpired action of that kind is reused (the engine creates the approve one when a circuit
 * opens), otherwise a new opaque id is minted. Used ids are never reused.
 */
import { randomBytes } from 'node:crypto';
import type { PendingActionKind } from '../../src/core/pending.js';
import type { ServiceWithApproval } from '../graphql/ops.js';
import type { PendingActionStore } from '../types.js';

/** How long a freshly minted button id stays valid (clicks are re-checked against state anyway). */
export const PENDING_TTL_MS = 24 * 3600_000;

export function applicableKinds(s: ServiceWithApproval): PendingActionKind[] {
  const kinds: PendingActionKind[] = [];
  if (s.approvalPending) kinds.push('approve');
  if (s.state === 'held') kinds.push('release');
  else kinds.push('block');
  return kinds;
}

export function ensurePending(
  store: PendingActionStore,
  service: ServiceWithApproval,
  incident: string,
  now: number,
): Partial<Record<PendingActionKind, string>> {
  const open = store.pendingActionsFor(service.name).filter((p) => p.usedAt === null && p.expiresAt > now);
  const out: Partial<Record<PendingActionKind, string>> = {};
  for (const kind of applicableKinds(service)) {
    const existing =
      open.find((p) => p.kind === kind && p.incident === incident) ?? open.find((p) => p.kind === kind);
    out[kind] =
      existing?.id ??
      store.createPendingAction({
        id: randomBytes(18).toString('base64url'),
        service: service.name,
        kind,
        incident,
        createdAt: now,
        expiresAt: now + PENDING_TTL_MS,
      }).id;
  }
  return out;
}
