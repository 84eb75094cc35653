/**
 * One service inside the engine: its cached state and version, the serial queues for its
 * decisions and effects, its tick timer, its open refusal runs — restored from the store on
 * start — and the one transaction that commits a decision (state + event + intents, plus the
 * approval request when the circuit opens, or expiring approve actions when no approval can be
 * accepted any more).
 */
import type { AuditEvent, NewEvent } from '../core/audit.js';
import type { Timer } from '../core/clock.js';
import type { Runs } from '../core/episode.js';
import { shiftState } from '../core/shift.js';
import { initialState } from '../core/state.js';
import { type Decision, isBudgetEffect, type ServiceState } from '../core/types.js';
import type { ServiceView } from '../core/view.js';
import { approvalOpen, requestApproval } from './approval.js';
import { policyHash } from './audit.js';
import { SerialQueue } from './queue.js';
import type { CommitResult, EngineStore, StateClock, StoredService } from './store-port.js';
import type { ServiceConfig } from './types.js';

export interface Slot {
  config: ServiceConfig;
  hash: string;
  /** On the engine's monotonic timeline (timeline.ts); shown and stored shifted to wall time. */
  state: ServiceState;
  version: number;
  /** Engine time of the last decision: `now` never goes backwards for a service. */
  lastAt: number;
  lastDecision: ServiceView['lastDecision'];
  decisions: SerialQueue;
  effects: SerialQueue;
  timer: Timer | null;
  /** Open refusal runs (repeats counted, not written); memory only, see core/episode.ts. */
  runs: Runs;
  /** A state was committed without an event since the last written one. */
  unwritten: boolean;
}

/**
 * A service's slot from its stored row (or the initial state) and its newest decision event.
 * `shift` moves the stored (wall-time) state onto the engine's timeline (timeline.ts
 * `shiftFromStored`).
 */
export function restoreSlot(
  store: Pick<EngineStore, 'upsertService' | 'lastDecisionEvent'>,
  config: ServiceConfig,
  saved: (StoredService & { version: number }) | undefined,
  shift: number,
): Slot {
  store.upsertService(config.name, config.unit);
  const last = store.lastDecisionEvent(config.name);
  return {
    config,
    hash: policyHash(config.policy),
    state: saved ? shiftState(saved.state, shift) : initialState(),
    version: saved?.version ?? 0,
    lastAt: saved ? saved.updatedAt + shift : Number.NEGATIVE_INFINITY,
    lastDecision: last
      ? { decision: last.decision!, at: last.at, actor: last.actor, reason: last.reason }
      : null,
    decisions: new SerialQueue(),
    effects: new SerialQueue(),
    timer: null,
    runs: {},
    // Unknown after a restart (the stored state may follow counted repeats): say it once.
    unwritten: saved !== undefined,
  };
}

/**
 * ONE transaction: the decision (optimistic on the slot's version) and its approval bookkeeping.
 * `d.next` and `event` are in wall time; `clock` anchors the stored state.
 */
export function commitDecision(
  store: EngineStore,
  slot: Slot,
  prev: ServiceState,
  d: Decision,
  event: NewEvent,
  intentId: number | undefined,
  clock: StateClock,
): { res: CommitResult; approval: AuditEvent | null } {
  const { name, unit } = slot.config;
  let approval: AuditEvent | null = null;
  const res = store.transaction(() => {
    const r = store.commitDecision({
      service: name,
      unit,
      prev: slot.version,
      next: d.next,
      event,
      // The fleet budget's messages are the engine's own (engine.ts runBudget), never intents.
      effects: d.effects.filter((e) => !isBudgetEffect(e)),
      policyHash: slot.hash,
      intentId,
      clock,
    });
    if (d.next.tag === 'circuit_open' && prev.tag !== 'circuit_open') {
      approval = requestApproval(store, r.event, d.next);
    } else if (approvalOpen(prev) && !approvalOpen(d.next)) {
      store.expirePendingActions(name, event.at, ['approve']);
    }
    return r;
  });
  return { res, approval };
}
