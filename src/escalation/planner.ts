/**
 * Longer than ~200 lines on purpose: one durable cursor and the episode map it guards; splitting
 * the queue, approval timers and cursor saves apart would spread one transaction's invariants.
 *
 * The escalation planner: turns committed audit events into outbox rows (core/escalation.ts
 * decides, store/escalations.ts writes), once per episode.
 *
 * - It follows the engine's bus, but off the decision path: events are queued and handled on a
 *   Clock timer after the publish, so a crash → restart decision never waits for it (and an
 *   event that causes nothing writes nothing).
 * - It is durable: a step's rows, the episode row and the planner's cursor (the id of the event
 *   handled) are one transaction; on start it re-reads the events after its cursor, so a SIGKILL
 *   between a decision's commit and its escalation loses nothing and writes nothing twice.
 * - `approvalPendingSec`: an approval still pending that long after its `approval_requested`
 *   event opens an episode (`approval_pending`) when none is open.
 */
import type { AuditEvent } from '../core/audit.js';
import type { Clock, Timer } from '../core/clock.js';
import { approvalPendingStep, dedupKey, type EscalationStep, escalationStep } from '../core/escalation.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { Episode, EscalationPlan } from '../store/escalations.js';
import { type EscalationConfig, targetsOf } from './config.js';
import { duringMaintenance } from './maintenance.js';
import { buildMessage } from './message.js';

export interface PlannerStore {
  episodes(): Episode[];
  planEscalation(p: EscalationPlan): void;
  escalationCursor(): number | null;
  advanceEscalationCursor(eventId: number, at: number): void;
  eventsAfter(after: number, first: number): AuditEvent[];
  lastApprovalRequest(service: string): AuditEvent | null;
}

export interface PlannerDeps {
  engine: Pick<Engine, 'subscribe' | 'view' | 'services'>;
  store: PlannerStore;
  config: EscalationConfig;
  clock: Clock;
  logger: Logger;
  /** Called after rows were written (the worker delivers them). */
  onPlanned: () => void;
}

/** How often the cursor moves past events that caused nothing (each move is one small write). */
const CURSOR_EVERY_MS = 60_000;

export class EscalationPlanner {
  private readonly open = new Map<string, Episode>();
  private readonly queue: AuditEvent[] = [];
  private readonly approvalTimers = new Map<string, Timer>();
  private drainTimer: Timer | null = null;
  private cursorTimer: Timer | null = null;
  private handled = 0;
  private saved = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: PlannerDeps) {}

  /** Loads open episodes, catches up from the cursor, then follows the bus. */
  start(): void {
    const { store, engine } = this.deps;
    for (const e of store.episodes()) this.open.set(e.service, e);
    this.handled = this.saved = store.escalationCursor() ?? 0;
    // Subscribe first, so nothing committed during the catch-up is missed (ids dedupe).
    this.unsubscribe = engine.subscribe((e) => this.enqueue(e));
    for (
      let page = store.eventsAfter(this.handled, 500);
      page.length > 0;
      page = store.eventsAfter(this.handled, 500)
    ) {
      for (const e of page) this.handle(e);
    }
    if (this.deps.config.approvalPendingSec !== null) {
      for (const name of engine.services.keys()) {
        if (!engine.view(name)?.approvalPending) continue;
        const req = store.lastApprovalRequest(name);
        if (req) this.armApproval(req);
      }
    }
    this.cursorTimer = this.deps.clock.setTimeout(() => this.saveCursor(true), CURSOR_EVERY_MS);
    this.deps.onPlanned();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const { clock } = this.deps;
    clock.clearTimeout(this.drainTimer);
    clock.clearTimeout(this.cursorTimer);
    for (const t of this.approvalTimers.values()) t.cancel();
    this.approvalTimers.clear();
    this.drain();
    this.saveCursor(false);
  }

  /** Open episodes by service (for tests and /status-like views). */
  episodes(): Episode[] {
    return [...this.open.values()];
  }

  private enqueue(e: AuditEvent): void {
    this.queue.push(e);
    this.drainTimer ??= this.deps.clock.setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, 0);
  }

  private drain(): void {
    for (let e = this.queue.shift(); e; e = this.queue.shift()) {
      try {
        this.handle(e);
      } catch (err) {
        // Not handled: the cursor stays before it, so the next start plans it again.
        this.deps.logger.error({ err, eventId: e.id }, 'escalation not planned (store failing?)');
        this.queue.length = 0;
        return;
      }
    }
  }

  private handle(e: AuditEvent): void {
    if (e.id <= this.handled || e.service === null) {
      if (e.id > this.handled) this.handled = e.id;
      return;
    }
    const { config } = this.deps;
    if (e.kind === 'approval_requested' && config.approvalPendingSec !== null) this.armApproval(e);
    const episode = this.open.get(e.service);
    const { step, suppressedBy } = duringMaintenance(
      escalationStep(e, episode !== undefined, config.on),
      e.data,
    );
    if (suppressedBy)
      this.deps.logger.info(
        { service: e.service, eventId: e.id, window: suppressedBy },
        'escalation suppressed: maintenance window',
      );
    if (step) this.plan(e.service, step, e.at, e.id, e.id, episode);
    this.handled = e.id;
  }

  private armApproval(e: AuditEvent): void {
    const service = e.service!;
    const { clock, config } = this.deps;
    this.approvalTimers.get(service)?.cancel();
    const due = e.at + config.approvalPendingSec! * 1000;
    const timer = clock.setTimeout(
      () => {
        this.approvalTimers.delete(service);
        if (this.open.has(service) || !this.deps.engine.view(service)?.approvalPending) return;
        const step = approvalPendingStep(service, (clock.now() - e.at) / 1000);
        try {
          this.plan(service, step, clock.now(), e.id, null, undefined);
        } catch (err) {
          this.deps.logger.error({ err, service }, 'approval escalation not planned');
        }
      },
      Math.max(0, due - clock.now()),
    );
    this.approvalTimers.set(service, timer);
  }

  private plan(
    service: string,
    step: NonNullable<EscalationStep>,
    at: number,
    eventId: number,
    cursor: number | null,
    open: Episode | undefined,
  ): void {
    const { config, store, clock } = this.deps;
    const episode: Episode =
      step.action === 'resolve' && open
        ? open
        : {
            service,
            dedupKey: dedupKey(config.node, service, eventId),
            trigger: step.action === 'trigger' ? step.trigger : 'resolve',
            openedAt: at,
            eventId,
          };
    const message = buildMessage({
      step,
      dedupKey: episode.dedupKey,
      service,
      node: config.node,
      at,
      eventId,
      publicUrl: config.publicUrl,
    });
    const rows = targetsOf(config).map((target) => ({
      target,
      message: message as unknown as Record<string, unknown>,
    }));
    store.planEscalation({ service, action: step.action, episode, rows, at: clock.now(), cursor });
    if (cursor !== null) this.saved = Math.max(this.saved, cursor);
    if (step.action === 'trigger') this.open.set(service, episode);
    else this.open.delete(service);
    this.deps.logger.info(
      { service, action: step.action, dedupKey: episode.dedupKey, targets: rows.map((r) => r.target) },
      `escalation ${step.action} planned for ${service}`,
    );
    this.deps.onPlanned();
  }

  private saveCursor(rearm: boolean): void {
    if (this.handled > this.saved) {
      try {
        this.deps.store.advanceEscalationCursor(this.handled, this.deps.clock.now());
        this.saved = this.handled;
      } catch (err) {
        this.deps.logger.warn({ err }, 'escalation cursor not saved');
      }
    }
    if (rearm && this.unsubscribe) {
      this.cursorTimer = this.deps.clock.setTimeout(() => this.saveCursor(true), CURSOR_EVERY_MS);
    }
  }
}
