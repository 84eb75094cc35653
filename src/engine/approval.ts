/**
 * Approval requests: when a decision opens a circuit, the engine records an
 * `approval_requested` event and a single-use `approve` pending action (what the Slack
 * button carries), in the same transaction as the decision. When no approval can be
 * accepted any more (the circuit closed, the probe was used, a hold took over), the unused
 * approve actions of the service are expired.
 */
import { randomBytes } from 'node:crypto';
import type { CircuitOpenState, ServiceState } from '../core/types.js';
import type { AuditEvent, Store } from '../store/types.js';
import { SYSTEM_ACTOR } from './audit.js';

/** How long an approve button stays valid if the state does not expire it first. */
export const APPROVAL_TTL_MS = 24 * 3600_000;

/** Same rule as the view's `approvalPending`: an approve command would be accepted. */
export function approvalOpen(s: ServiceState): boolean {
  return s.tag === 'circuit_open' || (s.tag === 'half_open' && !s.probeUsed);
}

/** An unguessable single-use id (16 random bytes, base64url). */
export function newActionId(): string {
  return randomBytes(16).toString('base64url');
}

/** Call inside the decision's transaction. Returns the approval_requested event. */
export function requestApproval(store: Store, opened: AuditEvent, state: CircuitOpenState): AuditEvent {
  const service = opened.service!;
  const now = opened.at;
  const incident = `${service}#${opened.id}`;
  store.expirePendingActions(service, now, ['approve']);
  const action = store.createPendingAction({
    id: newActionId(),
    service,
    kind: 'approve',
    incident,
    createdAt: now,
    expiresAt: now + APPROVAL_TTL_MS,
  });
  return store.appendEvent({
    at: now,
    service,
    kind: 'approval_requested',
    decision: null,
    taken: null,
    input: null,
    actor: SYSTEM_ACTOR,
    reason: 'circuit open: inspect the journal, then approve one probe restart or hold',
    stateFrom: null,
    stateTo: state.tag,
    counters: opened.counters,
    effects: [],
    mode: opened.mode,
    // The action id itself is a capability: it is not copied into the (widely readable) log.
    data: { incident, circuitEventId: opened.id, reopensAt: state.reopensAt, expiresAt: action.expiresAt },
  });
}
