/**
 * Longer than ~200 lines on purpose: the decide → compact → commit → publish → execute sequence
 * and its per-service queues and timers read in one class; restore and commit live in slot.ts.
 *
 * `createEngine(deps)`: the one path for every decision (DESIGN.md rule 1).
 *
 * submit(service, input) → (serialized per service) decide() → compact() (core/episode.ts: a
 * repeated refusal commits its state only, a no-op that changes nothing commits nothing) →
 * store.commitDecision (state + audit event + intents, one transaction; plus an approval
 * request when the circuit opens) →
 * publish on the bus → one log line per event → only then, in enforce mode, the executor runs
 * each effect (one at a time per service) and a restart's outcome is submitted back as
 * `restart_succeeded` / `restart_failed` (source 'executor'), closing its intent. In shadow
 * mode effects are recorded (intent outcome 'shadow') and never executed.
 *
 * The in-memory state is a cache: it is rebuilt from the store on start (rule 2). Intents left
 * open by a crash are NOT re-executed; see reconcile.ts. One `tick` per service is scheduled
 * at nextWakeAt() through the Clock. A commit failure rejects that submit and leaves the cache
 * as it was (the store is unchanged too).
 *
 * Time (issue 21): decide() runs on the engine's monotonic timeline (timeline.ts), so no
 * wall-clock step delays a restart or empties the window. Audit events carry wall time; the
 * state is stored and shown in wall time (shifted by the current offset) with a clock anchor,
 * and re-based onto the timeline on start.
 */

import type { MaintenanceWindow } from '../contract/maintenance/active.js';
import type { AuditEvent, Intent, NewEvent } from '../core/audit.js';
import { nextWakeAt } from '../core/deadline.js';
import { decide } from '../core/decide.js';
import { firstDown, isUp, type RemoteVerdict, remoteDown, remoteRef } from '../core/dependency.js';
import { compact, type RefusalSummary } from '../core/episode.js';
import { markOf } from '../core/maintenance.js';
import type { Policy } from '../core/policy.js';
import { shiftState } from '../core/shift.js';
import {
  type BudgetEffect,
  type Effect,
  type Input,
  isBudgetEffect,
  type ServiceState,
  type Surroundings,
} from '../core/types.js';
import type { ServiceView } from '../core/view.js';
import { viewOf } from '../core/view.js';
import type { Logger } from '../log.js';
import { decisionEvent, logEvent, policyHash, summaryEvent } from './audit.js';
import { EventBus } from './bus.js';
import { hardStopEvent, outcomeInput, runEffect } from './effects.js';
import { EngineError } from './errors.js';
import { MaintenanceWatch, type OpenSpan, type SpanChange } from './maintenance.js';
import { PublishedIds } from './published.js';
import { SerialQueue } from './queue.js';
import { commitDecision, restoreSlot, type Slot } from './slot.js';
import type { EngineStore } from './store-port.js';
import { type ClockAnchor, type Reading, Timeline } from './timeline.js';
import type {
  BudgetPort,
  BudgetReply,
  Clock,
  Committed,
  Engine,
  Executor,
  RemoteDependencyPort,
  ServiceConfig,
  SubmitMeta,
} from './types.js';

export interface EngineDeps {
  store: EngineStore;
  services: ServiceConfig[];
  executor: Executor;
  clock: Clock;
  logger: Logger;
  /** The monotonic timeline over `clock` (default: a new one); share it to report clock steps. */
  timeline?: Timeline;
  /**
   * Start with effects held: decisions are made and committed, but no effect runs until
   * `releaseEffects()` — medic serve releases them once detection is armed and open intents
   * are reconciled, so a restart can never run before its crash could be seen.
   */
  holdEffects?: boolean;
  /** This node's name (MEDIC_NODE_NAME): with the service name, the seed of the policy's jitter. */
  node?: string;
  /** Maintenance windows at start (contract + stored ad hoc ones); replaced by setMaintenance(). */
  maintenance?: readonly MaintenanceWindow[];
  /** The fleet restart budget's hub client (issue 16); absent = no hub (onHubUnreachable applies). */
  budget?: BudgetPort;
  /** What is known of dependencies on other nodes (`node/name`, fleet mode); absent = nothing (unknown: not down). */
  remote?: RemoteDependencyPort;
}

class GuardedEngine implements Engine {
  readonly services = new Map<string, ServiceConfig>();
  private readonly slots = new Map<string, Slot>();
  private readonly bus: EventBus;
  private readonly log: Logger;
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;
  /** Ids published (committed here or relayed), so a relay never publishes an event twice. */
  private readonly published = new PublishedIds();
  private readonly timeline: Timeline;
  /** Resolved when effects may run (at once unless `holdEffects`). */
  private readonly effectsGate: Promise<void>;
  private openGate: () => void = () => {};
  private released: boolean;
  /** Per service, its fleet budget messages in decision order: a lease's finish never overtakes the next request. */
  private readonly budgetQueues = new Map<string, SerialQueue>();
  /** Services watching for a slot (watchSlot): aborted when the wait ends, and by `stopping` on close. */
  private readonly slotWatches = new Map<string, AbortController>();
  private readonly stopping = new AbortController();
  /** For each service, the services that depend on it (contract order). */
  private readonly dependents = new Map<string, string[]>();
  /** Which maintenance window applies to a service now; ticks services whose window ended. */
  private readonly maint: MaintenanceWatch;
  /** Remote dependencies whose turning unknown was audited (their return is audited once too). */
  private readonly unknownAudited = new Set<string>();
  private unwatchRemote: (() => void) | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.log = deps.logger.child({ component: 'engine' });
    this.timeline = deps.timeline ?? new Timeline(deps.clock, this.log);
    this.released = !deps.holdEffects;
    this.effectsGate = deps.holdEffects
      ? new Promise((resolve) => (this.openGate = resolve))
      : Promise.resolve();
    this.bus = new EventBus((err, e) => this.log.error({ err, eventId: e.id }, 'event subscriber failed'));
    this.maint = new MaintenanceWatch(
      deps.clock,
      () => [...this.slots.keys()],
      (service, ended) => this.windowEnded(service, ended),
      (change) => this.spanChanged(change),
    );
  }

  /**
   * Rebuilds every configured service's state from the store, re-based onto this process's
   * timeline (timeline.ts `shiftFromStored`), and arms its timer.
   */
  start(): void {
    const { store } = this.deps;
    const loaded = store.loadServices();
    const stored = new Map(loaded.map((s) => [s.name, s]));
    const r = this.timeline.read();
    const newest = loaded.reduce<ClockAnchor | null>((a, s) => {
      const b = anchorOf(s);
      return a === null || b.wallAt > a.wallAt ? b : a;
    }, null);
    if (newest) this.timeline.checkSinceStored(newest, r);
    // One transaction for every service row (one fsync, not one per service).
    const slots = store.transaction(() =>
      this.deps.services.map((config) => {
        const saved = stored.get(config.name);
        const shift = saved ? this.timeline.shiftFromStored(anchorOf(saved), r) : 0;
        return restoreSlot(store, config, saved, shift);
      }),
    );
    for (const slot of slots) {
      const { config } = slot;
      this.slots.set(config.name, slot);
      this.services.set(config.name, config);
      for (const dep of config.dependsOn ?? []) {
        const list = this.dependents.get(dep) ?? [];
        list.push(config.name);
        this.dependents.set(dep, list);
      }
    }
    for (const slot of slots) this.schedule(slot);
    this.maint.seed(openSpans(store));
    this.maint.set(this.deps.maintenance ?? []);
    this.unwatchRemote =
      this.deps.remote?.onChange((id, now, before) => this.remoteChanged(id, now, before)) ?? null;
    const open = store.openIntents().length;
    this.log.info(
      { services: this.slots.size, restored: stored.size, openIntents: open },
      open ? 'engine started; open intents await reconciliation (not re-executed)' : 'engine started',
    );
  }

  submit(service: string, input: Input, meta: SubmitMeta = {}): Promise<Committed> {
    const slot = this.slots.get(service);
    if (!slot) return Promise.reject(new EngineError('UNKNOWN_SERVICE', `unknown service: ${service}`));
    if (this.closing) return Promise.reject(new EngineError('ENGINE_CLOSED', 'the engine is shutting down'));
    return this.enqueue(slot, input, meta);
  }

  private enqueue(slot: Slot, input: Input, meta: SubmitMeta, tickFor?: number): Promise<Committed> {
    return this.track(slot.decisions.push(() => this.commitInput(slot, input, meta, tickFor)));
  }

  private commitInput(slot: Slot, input: Input, meta: SubmitMeta, tickFor?: number): Committed {
    const { store } = this.deps;
    const { name, unit, policy } = slot.config;
    const reading = this.timeline.read();
    const now = Math.max(reading.engine, slot.lastAt);
    const prev = slot.state;
    // Recorded and stored in wall time: the same state, every time moved by the offset.
    const wall = wallOf(reading, now);
    const env = this.surroundings(slot, input);
    const window = this.maint.at(name, wall);
    // decide() compares the window's end with its own `now`: hand it over on engine time.
    if (window) env.maintenance = { ...window, endsAt: now + (window.endsAt - wall) };
    const d = decide(prev, input, now, policy, env);
    // A shadow window records automatic effects without executing them (operator ones run).
    const shadowed =
      window?.mode === 'shadow' &&
      d.effects.some(
        (e) =>
          e.type === 'stop' ||
          (e.type === 'restart' && e.initiator === 'auto') ||
          (e.type === 'request_budget' && !e.operator),
      );
    const toWall = (s: ServiceState) => shiftState(s, wall - now);
    const clock = this.timeline.anchor(reading);
    // Speak once (core/episode.ts): repeats of a refusal are counted, not written.
    const rec = compact(slot.runs, prev, input, d, now);
    if (rec.write === 'none' || rec.write === 'state') {
      if (rec.write === 'state') {
        slot.version = store.commitState({
          service: name,
          unit,
          prev: slot.version,
          next: toWall(d.next),
          policyHash: slot.hash,
          at: wall,
          clock,
        });
        slot.unwritten = true;
      }
      slot.runs = rec.runs;
      slot.state = d.next;
      slot.lastAt = now;
      this.schedule(slot, d.decision === 'noop' ? tickFor : undefined);
      this.nudgeDependents(slot, prev);
      // A shadow window asks the hub for no lease: the wait ends as unreachable (recorded, not run).
      const noAsk = shadowed
        ? `maintenance window ${window!.name} (shadow): the hub is not asked`
        : undefined;
      this.budgetEffects(slot, prev, d.next, d.effects, now, noAsk);
      return { decision: d, event: null };
    }
    const shown = { ...d, next: toWall(d.next) };
    const prevWall = toWall(prev);
    // After counted repeats the log alone no longer leads to `prev`: the event carries it.
    const from = slot.unwritten ? prevWall : undefined;
    const summaries = (x: RefusalSummary) => wallSummary(x, wall - now);
    const written =
      rec.write === 'summary'
        ? summaryEvent(name, prevWall, input, shown, summaries(rec.summary), wall, policy, meta, from)
        : decisionEvent(name, prevWall, input, shown, wall, policy, meta, rec.refusals.map(summaries), from);
    // Marked with the window in force (escalation and Slack read it); shadowed → mode shadow,
    // so the store records its intents as 'shadow' and they never run.
    const event = window
      ? {
          ...written,
          ...(shadowed ? { mode: 'shadow' as const } : {}),
          data: { ...written.data, maintenance: markOf(window) },
        }
      : written;
    const { res, approval } = commitDecision(store, slot, prevWall, shown, event, meta.intentId, clock);
    slot.runs = rec.runs;
    slot.unwritten = false;
    slot.state = d.next;
    slot.version = res.version;
    slot.lastAt = now;
    slot.lastDecision = { decision: d.decision, at: wall, actor: res.event.actor, reason: res.event.reason };
    const shadow = (policy.mode === 'shadow' && d.effects.length > 0) || shadowed;
    this.publish(
      res.event,
      shadowed
        ? `maintenance window ${window!.name} (shadow): effects recorded, not executed`
        : shadow
          ? 'shadow mode: effects recorded, not executed'
          : undefined,
    );
    if (approval) this.publish(approval);
    // A tick that changed the state made progress, so a deadline at the same instant (e.g.
    // circuit_open → half_open with the probe due now) is re-armed; only a no-op tick is not.
    this.schedule(slot, d.decision === 'noop' ? tickFor : undefined);
    this.nudgeDependents(slot, prev);
    if (policy.mode === 'enforce' && !shadowed) for (const intent of res.intents) this.execute(slot, intent);
    else if (d.effects.some((e) => e.type === 'restart')) this.restartCompanions(slot);
    // A shadow window asks the hub for no lease: the wait ends as unreachable (recorded, not run).
    const noAsk = shadowed ? `maintenance window ${window!.name} (shadow): the hub is not asked` : undefined;
    this.budgetEffects(slot, prev, d.next, d.effects, now, noAsk);
    return { decision: d, event: res.event };
  }

  /**
   * The fleet budget's effects (issue 16) are carried out here, not as intents: a request lost
   * to a crash is asked again at the state's `askAt`, a lost finish lapses at the lease's TTL.
   * The answer comes back as an input (source 'hub'). In shadow mode the hub is never asked:
   * the answer is `budget_unreachable`, so the policy's onHubUnreachable decides what is recorded.
   */
  private budgetEffects(
    slot: Slot,
    prev: ServiceState,
    next: ServiceState,
    effects: Effect[],
    now: number,
    noAsk?: string,
  ): void {
    if (prev.tag === 'budget_wait' && next.tag !== 'budget_wait') {
      this.deps.budget?.waited?.(slot.config, prev.group, now - prev.since);
      this.slotWatches.get(slot.config.name)?.abort();
    }
    for (const e of effects) if (isBudgetEffect(e)) this.runBudget(slot, e, noAsk);
  }

  /** `noAsk`: why an automatic request is answered `budget_unreachable` without asking the hub. */
  private runBudget(slot: Slot, e: BudgetEffect, noAsk?: string): void {
    const port = this.deps.budget;
    const { config } = slot;
    const queue = this.budgetQueues.get(config.name) ?? new SerialQueue();
    this.budgetQueues.set(config.name, queue);
    if (e.type === 'finish_budget') {
      if (port && config.policy.mode === 'enforce') {
        this.track(queue.push(() => port.finish(config, e.leaseId))).catch((err) =>
          this.log.error({ err, service: config.name }, 'budget finish failed'),
        );
      }
      return;
    }
    const ask = async (): Promise<BudgetReply> => {
      if (config.policy.mode !== 'enforce') {
        return { type: 'budget_unreachable', reason: 'shadow mode: the hub is not asked' };
      }
      if (noAsk && !e.operator) return { type: 'budget_unreachable', reason: noAsk };
      if (!port) return { type: 'budget_unreachable', reason: 'no hub configured (MEDIC_HUB_URL unset)' };
      return port.request(config, e.operator);
    };
    const job = (async () => {
      const reply = await queue.push(ask);
      // An operator restart's grant is marked: decide() never starts an automatic restart with it.
      let answer: BudgetReply =
        reply.type === 'budget_granted' && e.operator ? { ...reply, operator: true } : reply;
      // A denial — or an unanswered request of an `onHubUnreachable: wait` policy (the request may
      // have reached the hub) — while the hub's slot notifications work: the service watches for
      // its slot, and decide() re-asks as a safety net only.
      const watches = port?.awaitSlot && (port.notifying?.() ?? true);
      const waits = config.policy.budget?.onHubUnreachable === 'wait' && !e.operator;
      if (watches && (answer.type === 'budget_denied' || (answer.type === 'budget_unreachable' && waits)))
        answer = { ...answer, notified: true };
      if (this.closing) return;
      await this.enqueue(slot, answer, { source: 'hub', data: { group: e.group, operator: e.operator } });
      if (answer.type !== 'budget_granted' && answer.notified) this.watchSlot(slot, e.group);
    })();
    this.track(job).catch((err) => this.log.error({ err, service: config.name }, 'budget request failed'));
  }

  /**
   * After a denial (or an unanswered request of a `wait` policy): the service watches for its slot
   * (port.awaitSlot; the port holds one wait at the hub for all of the node's services), again
   * at the bound while the service waits. Not tracked while it waits (it may wait seconds;
   * `idle()` must not), only the input it submits; aborted when the wait ends and on close.
   * `free` → `budget_slot_free` (ask now); `failed` → the same with `lost` (ask now).
   */
  private watchSlot(slot: Slot, group: string): void {
    const port = this.deps.budget;
    const name = slot.config.name;
    if (!port?.awaitSlot || this.closing || this.slotWatches.get(name)?.signal.aborted === false) return;
    const ended = new AbortController();
    this.slotWatches.set(name, ended);
    const signal = AbortSignal.any([this.stopping.signal, ended.signal]);
    const waiting = () => !this.closing && !ended.signal.aborted && slot.state.tag === 'budget_wait';
    void (async () => {
      try {
        for (;;) {
          const outcome = await port.awaitSlot!(slot.config, group, signal);
          if (!waiting()) return;
          if (outcome === 'bound') continue;
          const input: Input = { type: 'budget_slot_free', ...(outcome === 'failed' ? { lost: true } : {}) };
          await this.enqueue(slot, input, { source: 'hub', data: { group } });
          return;
        }
      } catch (err) {
        this.log.error({ err, service: name }, 'budget slot notification failed');
      } finally {
        if (this.slotWatches.get(name) === ended) this.slotWatches.delete(name);
      }
    })();
  }

  /**
   * What decide() is told about `slot`'s surroundings: its name and node (jitter seed) and the
   * first dependency that is down. A `restart_with` ignores the service it follows (that one
   * is restarting on purpose, and the companion restarts because of it).
   */
  private surroundings(slot: Slot, input: Input): Surroundings {
    const { name, dependsOn } = slot.config;
    const env: Surroundings = { service: name, node: this.deps.node ?? '' };
    if (!dependsOn?.length) return env;
    const ignore = input.type === 'restart_with' ? input.service : undefined;
    const down = firstDown(dependsOn, (dep) => this.dependencyState(dep), ignore);
    if (down) env.dependencyDown = down;
    return env;
  }

  /**
   * A dependency's state: a local service's, or what the hub said of a `node/name` one (fleet
   * mode); undefined when unknown (not down: the dependent's local limits apply).
   */
  private dependencyState(dep: string): ServiceState | undefined {
    if (!remoteRef(dep)) return this.slots.get(dep)?.state;
    const v = this.deps.remote?.verdict(dep);
    return v?.known ? v.state : undefined;
  }

  /**
   * A remote dependency's verdict changed (fleet mode). Down → not down (up, or unknown) wakes
   * its dependents like a local recovery; a state turning unknown is audited once
   * (`remote_dependency_unknown`, with why and the dependents now under their local limits), and
   * its return once (`remote_dependency_known`). A log line for every change of down-ness.
   */
  private remoteChanged(id: string, now: RemoteVerdict, before: RemoteVerdict): void {
    if (this.closing) return;
    const dependents = this.dependents.get(id) ?? [];
    const wasDown = remoteDown(before);
    const isDown = remoteDown(now);
    if (wasDown !== isDown || now.known !== before.known) {
      this.log.info(
        { dependency: id, dependents, state: now.known ? now.state.tag : null },
        now.known
          ? `remote dependency ${id} is ${isDown ? 'down' : 'up'} (${now.state.tag})`
          : `remote dependency ${id} is unknown (${now.reason}): not treated as down`,
      );
    }
    // Unknown at start (the hub has not answered yet) is not news; losing a known state is.
    if (!now.known && (before.known || now.reason === 'not_reported') && !this.unknownAudited.has(id)) {
      this.unknownAudited.add(id);
      this.record({
        service: null,
        kind: 'remote_dependency_unknown',
        ...NO_DECISION,
        actor: 'medic',
        reason: UNKNOWN_WHY[now.reason],
        data: {
          dependency: id,
          why: now.reason,
          lastState: before.known ? before.state.tag : null,
          dependents,
        },
      });
    } else if (now.known && this.unknownAudited.delete(id)) {
      this.record({
        service: null,
        kind: 'remote_dependency_known',
        ...NO_DECISION,
        actor: 'medic',
        reason: `the hub reports ${id} again`,
        data: { dependency: id, state: now.state.tag, dependents },
      });
    }
    if (!wasDown || isDown) return;
    for (const name of dependents) {
      const dep = this.slots.get(name);
      if (!dep) continue;
      this.enqueue(dep, { type: 'tick' }, { source: 'dependency', data: { dependency: id } }).catch((err) =>
        this.log.error({ err, service: name }, 'dependency tick failed'),
      );
    }
  }

  /**
   * A maintenance window stopped applying to `service` (ended, cancelled, replaced): one tick,
   * so a service that broke during the window is handled by its policy from this moment (a
   * held restart goes through the gate now; decide/cooldown.ts).
   */
  private windowEnded(service: string, ended: string): void {
    const slot = this.slots.get(service);
    if (!slot || this.closing) return;
    this.enqueue(slot, { type: 'tick' }, { source: 'maintenance', data: { maintenanceEnded: ended } }).catch(
      (err) => this.log.error({ err, service }, 'maintenance tick failed'),
    );
  }

  /**
   * A window's span started or ended (ended, cancelled, replaced): one audit event each, not
   * per service (the services it covers are listed), written by the maintenance watch.
   */
  private spanChanged(change: SpanChange): void {
    if (this.closing) return;
    const { span } = change;
    const data = {
      window: span.id,
      name: span.name,
      mode: span.mode,
      start: span.start,
      end: span.end,
      services: span.services,
      notify: span.notify,
      ...(change.kind === 'ended' ? { how: change.how } : {}),
    };
    this.record({
      service: null,
      kind: change.kind === 'started' ? 'maintenance_started' : 'maintenance_ended',
      ...NO_DECISION,
      actor: 'medic',
      reason:
        change.kind === 'started'
          ? `maintenance window ${span.name} (${span.mode}) started${span.reason ? `: ${span.reason}` : ''}`
          : `maintenance window ${span.name} (${span.mode}) ${change.how}`,
      data,
    });
  }

  setMaintenance(windows: readonly MaintenanceWindow[]): void {
    this.maint.set(windows);
  }

  maintenanceWindows(): readonly MaintenanceWindow[] {
    return this.maint.list();
  }

  /**
   * A dependency that just became healthy wakes its dependents (a tick each, in contract order):
   * a deferred dependent schedules its one restart then (core/decide/deferred.ts), spread by
   * its policy's jitter; the others decide nothing (a no-op tick is not even committed).
   */
  private nudgeDependents(slot: Slot, prev: ServiceState): void {
    const dependents = this.dependents.get(slot.config.name);
    if (!dependents || isUp(prev) || !isUp(slot.state)) return;
    for (const name of dependents) {
      const dep = this.slots.get(name);
      if (!dep || this.closing) continue;
      this.enqueue(
        dep,
        { type: 'tick' },
        { source: 'dependency', data: { dependency: slot.config.name } },
      ).catch((err) => this.log.error({ err, service: name }, 'dependency tick failed'));
    }
  }

  /**
   * rest_for_one: after `slot`'s restart, each service in its `restartWith` gets a
   * `restart_with` input, in order, each decided through its own guards (the next one only
   * after the previous one's decision was committed).
   */
  private restartCompanions(slot: Slot): void {
    const companions = slot.config.restartWith ?? [];
    if (companions.length === 0) return;
    const input: Input = { type: 'restart_with', service: slot.config.name };
    const run = async () => {
      for (const name of companions) {
        const c = this.slots.get(name);
        if (!c || this.closing) continue;
        await this.enqueue(c, input, { source: 'dependency', data: { restartWith: slot.config.name } });
      }
    };
    this.track(run()).catch((err) =>
      this.log.error({ err, service: slot.config.name }, 'restartWith companions failed'),
    );
  }

  /** Runs one committed effect after the ones before it; feeds a restart's outcome back. */
  private execute(slot: Slot, intent: Intent): void {
    const job = slot.effects.push(async () => {
      // Only a held start waits (an await of its own would reorder effects against later inputs).
      if (!this.released) await this.effectsGate;
      if (!this.released) {
        // Closed before effects were released: the intent stays open for the next start's reconciliation.
        this.log.warn(
          { intentId: intent.id, service: slot.config.name },
          'effect not run: engine closed before start-up finished',
        );
        return;
      }
      const result = await runEffect(this.deps.executor, slot.config, intent);
      if (intent.effect.type === 'restart') {
        const data = result.ok ? undefined : { error: result.detail };
        // The companions follow the restart that ran (rest_for_one), whatever its outcome.
        this.restartCompanions(slot);
        await this.enqueue(slot, outcomeInput(result), { source: 'executor', intentId: intent.id, data });
        return;
      }
      const at = this.deps.clock.now();
      this.deps.store.completeIntent(intent.id, result.ok ? 'done' : 'failed', at);
      const stopped = hardStopEvent(slot.config, intent, result, slot.state, at);
      // A hard stop during a maintenance window is marked like the decision that caused it.
      const window = this.maint.at(slot.config.name, at);
      this.record(window ? { ...stopped, data: { ...stopped.data, maintenance: markOf(window) } } : stopped);
    });
    this.track(job).catch((err) => this.log.error({ err, intentId: intent.id }, 'effect handling failed'));
  }

  resumeStop(intent: Intent): Promise<void> {
    const slot = this.slots.get(intent.service);
    if (!slot || intent.effect.type !== 'stop') return Promise.resolve();
    const job = slot.effects.push(async () => {
      if (slot.state.tag !== 'circuit_open') return;
      const result = await runEffect(this.deps.executor, slot.config, intent);
      const at = this.deps.clock.now();
      this.record(hardStopEvent(slot.config, intent, result, slot.state, at, 'reconciled'));
    });
    return this.track(job);
  }

  /** Arms the tick for the service's next deadline (replacing the previous one). */
  private schedule(slot: Slot, tickFor?: number): void {
    slot.timer?.cancel();
    slot.timer = null;
    if (this.closing) return;
    const at = nextWakeAt(slot.state, slot.config.policy, {
      node: this.deps.node ?? '',
      service: slot.config.name,
    });
    if (at === null) return;
    if (tickFor !== undefined && at <= tickFor) {
      // A no-op tick at its deadline must move the deadline (core contract); never spin if not.
      this.log.warn(
        { service: slot.config.name, wakeAt: at },
        'tick did not move the deadline; timer not re-armed',
      );
      return;
    }
    const delay = Math.max(0, at - this.timeline.now());
    slot.timer = this.deps.clock.setTimeout(() => {
      slot.timer = null;
      if (this.closing) return;
      this.enqueue(slot, { type: 'tick' }, { source: 'timer' }, at).catch((err) =>
        this.log.error({ err, service: slot.config.name }, 'tick failed'),
      );
    }, delay);
  }

  private publish(event: AuditEvent, note?: string): void {
    this.published.add(event.id);
    logEvent(this.log, event, note);
    this.bus.publish(event);
  }

  releaseEffects(): void {
    this.released = true;
    this.openGate();
  }

  relay(event: AuditEvent): void {
    if (!this.published.has(event.id)) this.publish(event);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  view(service: string): ServiceView | undefined {
    const slot = this.slots.get(service);
    if (!slot) return undefined;
    const { name, unit, policy } = slot.config;
    const r = this.timeline.read();
    const now = Math.max(r.engine, slot.lastAt);
    const wall = wallOf(r, now);
    const state = shiftState(slot.state, wall - now);
    const maintenance = this.maint.at(name, wall);
    return viewOf({
      maintenance,
      name,
      unit,
      policy,
      state,
      now: wall,
      lastDecision: slot.lastDecision,
      node: this.deps.node,
    });
  }

  state(service: string): ServiceState | undefined {
    const slot = this.slots.get(service);
    if (!slot) return undefined;
    const r = this.timeline.read();
    return shiftState(slot.state, r.wall - r.engine);
  }

  views(): ServiceView[] {
    return [...this.slots.keys()].map((name) => this.view(name)!);
  }

  record(event: Omit<NewEvent, 'at'> & { at?: number }): AuditEvent {
    const saved = this.deps.store.appendEvent({ ...event, at: event.at ?? this.deps.clock.now() });
    this.publish(saved);
    return saved;
  }

  recordAll(events: (Omit<NewEvent, 'at'> & { at?: number })[]): AuditEvent[] {
    const { store, clock } = this.deps;
    const now = clock.now();
    // Published only after the commit: a subscriber never sees an event that could roll back.
    const saved = store.transaction(() => events.map((e) => store.appendEvent({ ...e, at: e.at ?? now })));
    for (const e of saved) this.publish(e);
    return saved;
  }

  subscribe(listener: (event: AuditEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }

  setPolicy(service: string, policy: Policy): void {
    const slot = this.slots.get(service);
    if (!slot) throw new EngineError('UNKNOWN_SERVICE', `unknown service: ${service}`);
    slot.config = { ...slot.config, policy };
    slot.hash = policyHash(policy);
    this.services.set(service, slot.config);
    this.schedule(slot);
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    this.maint.close();
    this.unwatchRemote?.();
    // Effects still held (start-up never finished) do not run; their intents stay open.
    this.openGate();
    for (const slot of this.slots.values()) {
      slot.timer?.cancel();
      slot.timer = null;
    }
    await this.idle();
  }
}

/** How far back the start-up read looks for maintenance spans still open in the log. */
const SPAN_LOOKBACK = 200;

/** The spans the audit log holds as started and not ended (the newest events of the two kinds). */
function openSpans(store: EngineStore): OpenSpan[] {
  const { events } = store.listEvents({
    kinds: ['maintenance_started', 'maintenance_ended'],
    first: SPAN_LOOKBACK,
    order: 'desc',
  });
  const open = new Map<string, OpenSpan>();
  for (const e of events.reverse()) {
    const d = e.data as (OpenSpan & { window: string }) | null;
    if (!d || typeof d.window !== 'string') continue;
    if (e.kind === 'maintenance_started') open.set(d.window, { ...d, id: d.window, reason: null });
    else if (open.get(d.window)?.start === d.start) open.delete(d.window);
  }
  return [...open.values()];
}

/** The fields of an event that is no decision. */
const NO_DECISION: Pick<
  NewEvent,
  'decision' | 'taken' | 'input' | 'stateFrom' | 'stateTo' | 'counters' | 'effects' | 'mode'
> = Object.freeze({
  decision: null,
  taken: null,
  input: null,
  stateFrom: null,
  stateTo: null,
  counters: null,
  effects: Object.freeze([]) as unknown as Effect[],
  mode: null,
});

const UNKNOWN_WHY: Record<Exclude<RemoteVerdict, { known: true }>['reason'], string> = {
  no_answer: 'the hub has not answered yet',
  not_reported: 'the hub holds no such service (is the node or service name right?)',
  stale: "its state is older than the node's silence (the node or the hub is unreachable)",
};

/** The stored state's clock anchor (wall time only for rows written before anchors existed). */
function anchorOf(s: { updatedAt: number; monoAt?: number | null; monoOrigin?: string | null }): ClockAnchor {
  return { wallAt: s.updatedAt, monoAt: s.monoAt ?? null, monoOrigin: s.monoOrigin ?? null };
}

/** A refusal summary with its times moved from engine time to wall time. */
function wallSummary(x: RefusalSummary, offset: number): RefusalSummary {
  return offset === 0 ? x : { ...x, firstAt: x.firstAt + offset, lastAt: x.lastAt + offset };
}

/** Wall time of engine time `now` at reading `r` (now ≥ r.engine only when clamped by lastAt). */
function wallOf(r: Reading, now: number): number {
  return r.wall + (now - r.engine);
}

/** Builds the engine and rebuilds its state from the store. */
export async function createEngine(deps: EngineDeps): Promise<Engine> {
  const engine = new GuardedEngine(deps);
  engine.start();
  return engine;
}

export { reconcileIntents } from './reconcile.js';
