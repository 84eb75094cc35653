/**
 * The escalation assembly `medic serve` runs (docs/ALERTS.md "Escalation"): the contract's
 * `escalation` block resolved against the environment (a named secret that is unset is a
 * configuration error: exit 2), the planner following the engine, and the outbox worker.
 * `start()` after the engine is restored; `stop()` before it closes.
 */

import { ConfigError } from '../config/env.js';
import type { ContractEscalation } from '../contract/types.js';
import type { AuditEvent } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import type { EscalationConfig } from './config.js';
import { type DeliveryOutcome, OutboxWorker } from './deliver.js';
import { EscalationPlanner } from './planner.js';
import type { FetchLike } from './send.js';

export function resolveEscalation(
  c: ContractEscalation,
  opts: {
    node: string;
    publicUrl: string;
    pagerDutyUrl: string;
    secret: (name: string) => string | undefined;
    retry?: Partial<RetryPolicy>;
  },
): EscalationConfig {
  const problems: string[] = [];
  const need = (name: string, what: string) => {
    const v = opts.secret(name);
    if (v === undefined) problems.push(`${name}: not set (the contract's ${what} names it)`);
    return v ?? '';
  };
  const pagerduty = c.pagerduty
    ? {
        url: opts.pagerDutyUrl,
        routingKey: need(c.pagerduty.routingKeyEnv, 'escalation.pagerduty.routingKeyEnv'),
      }
    : null;
  const webhooks = c.webhooks.map((w) => ({
    name: w.name,
    url: w.url,
    secret: need(w.secretEnv, `escalation webhook ${w.name}'s secretEnv`),
  }));
  // A named secret that is unset: one message naming every missing variable (exit 2).
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    node: opts.node,
    publicUrl: opts.publicUrl,
    pagerduty,
    webhooks,
    on: [...c.on],
    approvalPendingSec: c.approvalPendingSec,
    retry: { ...DEFAULT_RETRY, ...opts.retry },
  };
}

export interface EscalationDeps {
  config: EscalationConfig;
  engine: Engine;
  store: Store;
  clock: Clock;
  logger: Logger;
  onOutcome?: (target: string, outcome: DeliveryOutcome) => void;
  fetch?: FetchLike;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

export interface Escalation {
  planner: EscalationPlanner;
  worker: OutboxWorker;
  start(): void;
  stop(): Promise<void>;
}

export function createEscalation(deps: EscalationDeps): Escalation {
  const { store, engine, clock } = deps;
  const logger = deps.logger.child({ component: 'escalation' });
  const worker = new OutboxWorker({
    outbox: {
      due: (now, limit) => store.dueEscalations(now, limit),
      nextAttemptAt: () => store.nextEscalationAt(),
      delivered: (id, at) => store.escalationDelivered(id, at),
      retry: (id, at, error) => store.escalationRetry(id, at, error),
      failed: (id, at, error) => store.escalationFailed(id, at, error),
    },
    config: deps.config,
    clock,
    logger,
    onOutcome: deps.onOutcome,
    fetch: deps.fetch,
    random: deps.random,
    // Speak once: one audit event per message settled (sent, or given up after the bound).
    onSettled: (row, r) => {
      const m = row.message as { service?: string; summary?: string };
      const service = typeof m.service === 'string' && engine.services.has(m.service) ? m.service : null;
      engine.record({
        service,
        kind: r.ok ? 'escalation_sent' : 'escalation_failed',
        decision: null,
        taken: null,
        input: null,
        actor: 'medic',
        reason: r.ok
          ? `${row.action} sent to ${row.target} (${row.dedupKey})`
          : `${row.action} to ${row.target} failed after ${r.attempts} attempt(s): ${r.error}`,
        stateFrom: null,
        stateTo: null,
        counters: null,
        effects: [],
        mode: null,
        data: {
          target: row.target,
          action: row.action,
          dedupKey: row.dedupKey,
          outboxId: row.id,
          ...(r.ok ? {} : { error: r.error, attempts: r.attempts }),
        },
      });
    },
  });
  const planner = new EscalationPlanner({
    engine,
    store: {
      episodes: () => store.escalationEpisodes(),
      planEscalation: (p) => store.planEscalation(p),
      escalationCursor: () => store.escalationCursor(),
      advanceEscalationCursor: (id, at) => store.advanceEscalationCursor(id, at),
      eventsAfter: (after, first) => store.listEvents({ after, first, order: 'asc' }).events,
      lastApprovalRequest: (service): AuditEvent | null =>
        store.listEvents({ service, kinds: ['approval_requested'], first: 1, order: 'desc' }).events[0] ??
        null,
    },
    config: deps.config,
    clock,
    logger,
    onPlanned: () => worker.kick(),
  });
  return {
    planner,
    worker,
    start() {
      planner.start();
      logger.info(
        {
          targets: [
            deps.config.pagerduty ? 'pagerduty' : null,
            ...deps.config.webhooks.map((w) => w.name),
          ].filter(Boolean),
        },
        'escalation on',
      );
    },
    async stop() {
      planner.stop();
      await worker.stop();
    },
  };
}
