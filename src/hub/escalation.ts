/**
 * Paging from the hub (issue 17, docs/FLEET.md "Paging when a node goes dark"): every replica
 * runs this loop; the outbox (escalation-outbox.ts) makes planning and delivery exactly-once in
 * effect across them. Configuration comes from the environment (the one zod schema): a PagerDuty
 * routing key (MEDIC_HUB_PAGERDUTY_ROUTING_KEY) and/or one signed webhook (MEDIC_HUB_WEBHOOK_URL
 * with MEDIC_HUB_WEBHOOK_SECRET); MEDIC_PAGERDUTY_URL and MEDIC_ESCALATION_* as for an agent.
 *
 * The loop wakes on a node event (`HubBus.onHubEvent`), at the next row's retry time, and every
 * `pollMs` (a row another replica was delivering when it died becomes claimable again; a missed
 * notification is caught up). A failing round (PostgreSQL away) is logged once per outage.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { Env } from '../config/env.js';
import { DEFAULT_RETRY } from '../escalation/backoff.js';
import type { EscalationConfig } from '../escalation/config.js';
import type { DeliveryOutcome } from '../escalation/deliver.js';
import type { FetchLike } from '../escalation/send.js';
import type { Logger } from '../log.js';
import type { HubBus } from './bus.js';
import type { HubDb } from './db.js';
import {
  deliverOne,
  initEscalationCursor,
  nextEscalationAt,
  planNodeEscalations,
} from './escalation-outbox.js';

/** The hub's escalation targets from its environment, or null when none is configured. */
export function hubEscalationConfig(env: Env, publicUrl: string): EscalationConfig | null {
  const key = env.MEDIC_HUB_PAGERDUTY_ROUTING_KEY;
  const hook = env.MEDIC_HUB_WEBHOOK_URL && env.MEDIC_HUB_WEBHOOK_SECRET;
  if (!key && !hook) return null;
  return {
    node: 'hub',
    publicUrl,
    pagerduty: key ? { url: env.MEDIC_PAGERDUTY_URL, routingKey: key } : null,
    webhooks: hook
      ? [{ name: 'hub', url: env.MEDIC_HUB_WEBHOOK_URL!, secret: env.MEDIC_HUB_WEBHOOK_SECRET! }]
      : [],
    on: [],
    approvalPendingSec: null,
    retry: {
      ...DEFAULT_RETRY,
      baseMs: env.MEDIC_ESCALATION_RETRY_BASE_MS,
      maxAttempts: env.MEDIC_ESCALATION_MAX_ATTEMPTS,
      timeoutMs: env.MEDIC_ESCALATION_TIMEOUT_MS,
    },
  };
}

export interface HubEscalationDeps {
  db: HubDb;
  bus: Pick<HubBus, 'onHubEvent'>;
  config: EscalationConfig;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  onOutcome?: (target: string, outcome: DeliveryOutcome) => void;
  fetch?: FetchLike;
  random?: () => number;
}

export class HubEscalation {
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failures = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: HubEscalationDeps) {}

  async start(): Promise<void> {
    await initEscalationCursor(this.deps.db);
    this.unsubscribe = this.deps.bus.onHubEvent((e) => {
      if (e.kind === 'node_down' || e.kind === 'node_up') this.kick();
    });
    const { config } = this.deps;
    this.deps.logger.info(
      {
        targets: [config.pagerduty ? 'pagerduty' : null, ...config.webhooks.map((w) => w.url)].filter(
          Boolean,
        ),
      },
      'hub escalation on (nodes gone dark are paged)',
    );
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.deps.clock.clearTimeout(this.timer);
    while (this.running) await this.running;
  }

  /** Plans and delivers what is due now (again after the current round, if one runs). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.deps.clock.clearTimeout(this.timer);
    this.running = this.round()
      .then(() => this.next())
      .catch((err: Error) => {
        this.failures += 1;
        if (this.failures === 1)
          this.deps.logger.warn({ err: err.message }, 'hub escalation round failed (retrying)');
        return this.deps.pollMs;
      })
      .then((wait) => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          return this.kick();
        }
        this.timer = this.deps.clock.setTimeout(() => this.kick(), wait);
      });
  }

  private async round(): Promise<void> {
    const { db, config, clock, logger } = this.deps;
    const planned = await planNodeEscalations(db, config, clock.now());
    if (planned > 0) logger.info({ rows: planned }, 'hub escalation planned');
    while (!this.stopped) {
      const d = await deliverOne(db, config, clock, { fetch: this.deps.fetch, random: this.deps.random });
      if (!d) break;
      this.deps.onOutcome?.(d.target, d.outcome);
      const data = d.event?.data as { action?: string; dedupKey?: string; error?: string } | undefined;
      if (d.outcome === 'delivered')
        logger.info({ dedupKey: data?.dedupKey }, `escalation ${data?.action} delivered to ${d.target}`);
      else if (d.outcome === 'failed')
        logger.error({ dedupKey: data?.dedupKey, error: data?.error }, `escalation to ${d.target} failed`);
      else logger.warn({ target: d.target, outcome: d.outcome }, `escalation to ${d.target}: retrying`);
    }
    if (this.failures > 0) logger.info({ failures: this.failures }, 'hub escalation works again');
    this.failures = 0;
  }

  /** The wait before the next round: the next retry time, at most `pollMs`. */
  private async next(): Promise<number> {
    const { pollMs, clock } = this.deps;
    const at = await nextEscalationAt(this.deps.db);
    // Due already yet not claimable: another replica is delivering it; look again after pollMs.
    if (at === null || at <= clock.now()) return pollMs;
    return Math.min(pollMs, at - clock.now());
  }
}
