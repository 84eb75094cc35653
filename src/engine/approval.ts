/**
 * Approval requests: when a decision opens a circuit, the engine records an
 * `approval_requested` event and a single-use `approve` pending action (what the Slack
 * button carries), in the same transaction as the decision. When no approval can be
 * accepted any more (the circuit closed, the probe was used, a hold took over), the unused
 * approve actions of the service are expired.
 */
import type { AuditEvent } from '../core/audit.js';
import type { CircuitOpenState } from '../core/types.js';
import { SYSTEM_ACTOR } from './audit.js';
import { mintPendingAction } from './pending.js';
import type { EngineStore } from './store-port.js';

export { approvalOpen } from '../core/pending.js';

/** Call inside the decision's transaction. Returns the approval_requested event. */
export function requestApproval(store: EngineStore, opened: AuditEvent, state: CircuitOpenState): AuditEvent {
  const service = opened.service!;
  const now = opened.at;
  const incident = `${service}#${opened.id}`;
  store.expirePendingActions(service, now, ['approve']);
  const action = mintPendingAction(store, service, 'approve', incident, now);
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
    data: {
      incident,
      circuitEventId: opened.id,
      reopensAt: state.reopensAt,
      expiresAt: action.expiresAt,
      // Opened during a maintenance window: the request says so too (escalation, Slack).
      ...(opened.data?.maintenance ? { maintenance: opened.data.maintenance } : {}),
    },
  });
}
