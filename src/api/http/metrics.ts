/**
 * Longer than ~200 lines on purpose: each metric is declared next to the code that feeds it,
 * so a name, its help text and its labels are checked in one place.
 *
 * medic's own Prometheus metrics (prom-client, a private registry). Counters are fed from the
 * engine's committed events; gauges are read from `engine.views()` and the last drift report at
 * scrape time, so they can never disagree with GraphQL. The watchdog reports probe timings through
 * `observeProbe` and missed D-Bus signals through `missedSignal`; `instrument(engine)` times every decision (submit → committed).
 */
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent } from '../../core/audit.js';
import { BLOCK_REASONS, type BlockReason } from '../../core/types.js';
import type { Engine } from '../../engine/types.js';
import type { DriftReport } from '../schema/ports.js';

const INITIATORS = ['auto', 'forced', 'approved', 'external'] as const;
const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
const INSTRUMENTED = Symbol('medic.metrics.instrumented');

export interface MetricsOptions {
  /** Also export prom-client's process_* and nodejs_* series (default true). */
  defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private engine: Engine | null = null;
  private drift: (() => DriftReport | null) | null = null;
  private readonly restarts: Counter<'service' | 'initiator'>;
  private readonly blocked: Counter<'service' | 'reason'>;
  private readonly decisionLatency: Histogram<'input'>;
  private readonly probeDuration: Histogram<'service' | 'result'>;
  private readonly slackCalls: Counter<'method' | 'outcome'>;
  private readonly clockSteps: Counter;
  private readonly missedSignals: Counter<'service'>;
  private readonly alerts: Counter<'outcome'>;
  private readonly alertRequests: Counter<'status'>;
  private readonly escalations: Counter<'target' | 'outcome'>;
  private readonly budgetDenied: Counter<'group'>;
  private readonly budgetWait: Histogram;
  private heard: (() => ReadonlyMap<string, { inFlight: number }>) | null = null;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      // Event-loop lag sampled every 100 ms, not prom-client's default 10 ms: that timer alone
      // woke an idle medic 100 times a second.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
      // prom-client names these gauges *_total, which `promtool check metrics` rejects.
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    this.restarts = new Counter({
      name: 'medic_restarts_total',
      help: 'Restarts decided by medic (auto, forced, approved) or done by systemd itself (external).',
      labelNames: ['service', 'initiator'],
      registers,
    });
    this.blocked = new Counter({
      name: 'medic_restarts_blocked_total',
      help: 'Refusal episodes: a first refused automatic restart per reason and state episode (repeats are in medic_restart_refusals).',
      labelNames: ['service', 'reason'],
      registers,
    });
    this.decisionLatency = new Histogram({
      name: 'medic_decision_latency_seconds',
      help: 'Time from an input reaching the engine to its decision being committed.',
      labelNames: ['input'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.probeDuration = new Histogram({
      name: 'medic_probe_duration_seconds',
      help: 'Duration of health probes, by result.',
      labelNames: ['service', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.slackCalls = new Counter({
      name: 'medic_slack_api_calls_total',
      help: 'Slack Web API calls of the incident bot, by method and outcome (ok, error, rate_limited).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.clockSteps = new Counter({
      name: 'medic_clock_steps_total',
      help: 'Steps of the wall clock against the monotonic clock (> 3 s), incl. while medic was down.',
      registers,
    });
    this.missedSignals = new Counter({
      name: 'medic_missed_signals_total',
      help: 'Unit changes systemd made that no D-Bus signal told medic about (found by the periodic verification).',
      labelNames: ['service'],
      registers,
    });
    this.alerts = new Counter({
      name: 'medic_alerts_total',
      help: 'Alerts in Alertmanager deliveries, by outcome: acted (first delivery), renewed (a re-send of a firing hold alert extended its hold), duplicate (a retry, re-send or HA replica), unmatched (no service), failed (not submitted; Alertmanager retries).',
      labelNames: ['outcome'],
      registers,
    });
    this.alertRequests = new Counter({
      name: 'medic_alertmanager_requests_total',
      help: 'Requests to POST /alertmanager, by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    this.escalations = new Counter({
      name: 'medic_escalations_total',
      help: 'Escalation delivery attempts (PagerDuty, webhooks) by target and outcome: delivered, retried, rate_limited, failed (given up: an escalation_failed event).',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.budgetDenied = new Counter({
      name: 'medic_budget_denied_total',
      help: 'Fleet restart budget requests the hub denied (the group was full), by budget group.',
      labelNames: ['group'],
      registers,
    });
    this.budgetWait = new Histogram({
      name: 'medic_budget_wait_seconds',
      help: 'How long an automatic restart waited for its fleet budget lease (until granted, restarted locally, or the wait ended otherwise).',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'medic_budget_in_flight',
      help: 'Restarts in flight in the fleet budget group, fleet-wide, as the hub last told this agent.',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const [group, n] of self.heard?.() ?? []) this.set({ group }, n.inFlight);
      },
    });
    new Gauge({
      name: 'medic_circuit_state',
      help: 'Circuit breaker per service: 0 closed, 1 half-open, 2 open.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? [])
          this.set({ service: v.name }, CIRCUIT_VALUE[v.circuit.state]);
      },
    });
    new Gauge({
      name: 'medic_circuit_open',
      help: '1 while the circuit is not closed (open, half-open or its probe restart) and no hold is set: one episode, no flap.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? [])
          this.set({ service: v.name }, v.circuit.state !== 'closed' && !v.hold ? 1 : 0);
      },
    });
    new Gauge({
      name: 'medic_restart_refusals',
      help: 'Every refused automatic restart, by reason, exactly as counted in the state (churn.blocked; repeats included).',
      labelNames: ['service', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? []) {
          for (const reason of BLOCK_REASONS)
            this.set({ service: v.name, reason }, v.churn.blockedByReason[reason] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'medic_churn_restarts_in_window',
      help: 'Restarts inside the sliding churn window (compare with medic_churn_max_restarts).',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? []) this.set({ service: v.name }, v.churn.restartsInWindow);
      },
    });
    new Gauge({
      name: 'medic_churn_max_restarts',
      help: 'The policy limit maxRestarts per window; reaching it opens the circuit.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? []) this.set({ service: v.name }, v.churn.maxRestarts);
      },
    });
    new Gauge({
      name: 'medic_service_held',
      help: '1 while an operator hold blocks automatic restarts of the service.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? []) this.set({ service: v.name }, v.hold ? 1 : 0);
      },
    });
    new Gauge({
      name: 'medic_maintenance_active',
      help: '1 while a maintenance window applies to the service (mode label: hold or shadow); for Alertmanager inhibit rules.',
      labelNames: ['service', 'mode'],
      registers,
      collect() {
        this.reset();
        for (const v of self.engine?.views() ?? []) {
          for (const mode of ['hold', 'shadow'] as const)
            this.set({ service: v.name, mode }, v.maintenance?.mode === mode ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'medic_drift_findings',
      help: 'Findings of the latest runtime contract drift check, by severity.',
      labelNames: ['severity'],
      registers,
      collect() {
        const report = self.drift?.() ?? null;
        for (const severity of ['error', 'warning'] as const) {
          this.set({ severity }, report ? report.findings.filter((f) => f.severity === severity).length : 0);
        }
      },
    });
  }

  /** Starts feeding counters from the engine and gauges from its views. Returns a detach function. */
  attach(engine: Engine, lastDrift?: () => DriftReport | null): () => void {
    this.engine = engine;
    this.drift = lastDrift ?? null;
    for (const name of engine.services.keys()) {
      for (const initiator of INITIATORS) this.restarts.inc({ service: name, initiator }, 0);
      for (const reason of BLOCK_REASONS) this.blocked.inc({ service: name, reason }, 0);
    }
    const unsubscribe = engine.subscribe((event) => this.count(event));
    return () => {
      unsubscribe();
      this.engine = null;
      this.drift = null;
    };
  }

  /** Called by the watchdog after every probe. */
  observeProbe(service: string, seconds: number, ok: boolean): void {
    this.probeDuration.observe({ service, result: ok ? 'ok' : 'failed' }, seconds);
  }

  /** Called by the Slack bot's transport for every Web API exchange. */
  slackCall(method: string, outcome: 'ok' | 'error' | 'rate_limited'): void {
    this.slackCalls.inc({ method, outcome });
  }

  /** Called once per wall-clock step the engine's timeline noticed. */
  countClockStep(): void {
    this.clockSteps.inc();
  }

  /** Called by the watchdog for every missed D-Bus signal its verification found. */
  missedSignal(service: string): void {
    this.missedSignals.inc({ service });
  }

  /** Called by the Alertmanager receiver per alert of a delivery. */
  alertReceived(outcome: 'acted' | 'renewed' | 'duplicate' | 'unmatched' | 'failed'): void {
    this.alerts.inc({ outcome });
  }

  /** Called by the fleet budget's hub client per answer (issue 16). */
  budgetAnswered(group: string, answer: 'budget_granted' | 'budget_denied' | 'budget_unreachable'): void {
    if (answer === 'budget_denied') this.budgetDenied.inc({ group });
    else this.budgetDenied.inc({ group }, 0);
  }

  /** Called when a wait for the fleet budget ended. */
  budgetWaited(_group: string, seconds: number): void {
    this.budgetWait.observe(seconds);
  }

  /** The numbers the hub last gave per group (medic_budget_in_flight). */
  budgetHeard(heard: () => ReadonlyMap<string, { inFlight: number }>): void {
    this.heard = heard;
  }

  /** Called by the escalation outbox worker per delivery attempt. */
  escalation(target: string, outcome: 'delivered' | 'retried' | 'rate_limited' | 'failed'): void {
    this.escalations.inc({ target, outcome });
  }

  /** Called by the Alertmanager receiver per request. */
  alertRequest(status: number): void {
    this.alertRequests.inc({ status: String(status) });
  }

  observeDecision(input: string, seconds: number): void {
    this.decisionLatency.observe({ input }, seconds);
  }

  /** The same engine with `submit` timed into medic_decision_latency_seconds (idempotent). */
  instrument(engine: Engine): Engine {
    if ((engine as unknown as Record<symbol, unknown>)[INSTRUMENTED]) return engine;
    const submit: Engine['submit'] = async (service, input, meta) => {
      const started = performance.now();
      const committed = await engine.submit(service, input, meta);
      this.observeDecision(input.type, (performance.now() - started) / 1000);
      return committed;
    };
    // A proxy that binds every other member to the engine itself: engines may use private
    // class fields, and members added to the Engine interface later pass through unchanged.
    const wrapped = new Proxy(engine, {
      get(target, prop) {
        if (prop === 'submit') return submit;
        if (prop === INSTRUMENTED) return true;
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return wrapped;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private count(event: AuditEvent): void {
    const service = event.service;
    if (!service) return;
    for (const effect of event.effects) {
      if (effect.type === 'restart') this.restarts.inc({ service, initiator: effect.initiator });
    }
    if (event.decision === 'external_restart') {
      const count = event.input?.type === 'external_restart' ? event.input.count : 1;
      this.restarts.inc({ service, initiator: 'external' }, count);
    }
    // One per refusal episode: the written first refusal; summaries of repeats are not new episodes.
    if (
      event.decision &&
      (BLOCK_REASONS as readonly string[]).includes(event.decision) &&
      !event.data?.summary
    ) {
      this.blocked.inc({ service, reason: event.decision as BlockReason });
    }
  }
}
