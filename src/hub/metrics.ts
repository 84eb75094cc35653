/**
 * The hub's Prometheus registry: `medic_nodes{state}`, `medic_node_up{node}` and
 * `medic_budget_in_flight{group}` (read from PostgreSQL at scrape time), the slot notifications
 * this replica holds open (`medic_budget_slot_waits`, one per waiting node),
 * events stored, batches refused by reason, escalations by target and outcome, budget lease rows
 * pruned, lease requests not arbitrated because their agent had stopped waiting.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../clock/clock.js';
import type { ShipErrorCode } from '../fleet/protocol.js';
import { groupViews } from './budget.js';
import type { HubDb } from './db.js';
import { listNodes, NODE_STATES } from './nodes.js';

export class HubMetrics {
  readonly registry = new Registry();
  private readonly stored: Counter;
  private readonly refused: Counter<'reason'>;
  private readonly leader: Gauge;
  private readonly escalations: Counter<'target' | 'outcome'>;
  private readonly pruned: Counter;
  private readonly expired: Counter;

  constructor(db: HubDb, clock: Pick<Clock, 'now'>, silenceMs: number) {
    new Gauge({
      name: 'medic_nodes',
      help: 'Agents known to the hub, by state (unreachable: silent longer than MEDIC_HUB_SILENCE_SEC).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const nodes = await listNodes(db, clock.now(), silenceMs);
        for (const state of NODE_STATES) this.set({ state }, nodes.filter((n) => n.state === state).length);
      },
    });
    new Gauge({
      name: 'medic_node_up',
      help: 'Per agent: 1 while it reports, 0 once silent longer than MEDIC_HUB_SILENCE_SEC (alert: MedicNodeDown).',
      labelNames: ['node'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const nodes = await listNodes(db, clock.now(), silenceMs);
        for (const n of nodes) this.set({ node: n.name }, n.state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'medic_budget_in_flight',
      help: 'Restarts in flight in the fleet restart budget group (leases granted, not yet ended or lapsed), fleet-wide.',
      labelNames: ['group'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const g of await groupViews(db, clock.now())) this.set({ group: g.group }, g.inFlight);
      },
    });
    this.stored = new Counter({
      name: 'medic_hub_events_stored_total',
      help: 'Agent events stored at the hub (re-sent duplicates not counted).',
      registers: [this.registry],
    });
    this.leader = new Gauge({
      name: 'medic_hub_slack_leader',
      help: '1 on the one hub replica that talks to Slack (PostgreSQL advisory lock), 0 elsewhere.',
      registers: [this.registry],
    });
    this.escalations = new Counter({
      name: 'medic_escalations_total',
      help: 'Hub escalation delivery attempts (nodes gone dark), by target and outcome (delivered, retried, rate_limited, failed).',
      labelNames: ['target', 'outcome'],
      registers: [this.registry],
    });
    this.pruned = new Counter({
      name: 'medic_budget_leases_pruned_total',
      help: 'Fleet budget lease rows this replica deleted: ended or lapsed, and past the window and TTL with a margin.',
      registers: [this.registry],
    });
    this.expired = new Counter({
      name: 'medic_budget_lease_requests_expired_total',
      help: 'Fleet budget lease requests this replica did not arbitrate: their agent had stopped waiting (Medic-Wait-Ms) before their batch; answered 503 LEASE_REQUEST_EXPIRED, nothing granted.',
      registers: [this.registry],
    });
    this.refused = new Counter({
      name: 'medic_hub_batches_refused_total',
      help: 'Agent batches refused, by reason.',
      labelNames: ['reason'],
      registers: [this.registry],
    });
  }

  eventsStored(n: number): void {
    this.stored.inc(n);
  }

  slackLeader(on: boolean): void {
    this.leader.set(on ? 1 : 0);
  }

  escalation(target: string, outcome: string): void {
    this.escalations.inc({ target, outcome });
  }

  leasesPruned(rows: number): void {
    this.pruned.inc(rows);
  }

  leaseRequestExpired(): void {
    this.expired.inc();
  }

  batchRefused(reason: ShipErrorCode): void {
    this.refused.inc({ reason });
  }

  /** `medic_budget_slot_waits`: read from the replica's slot waits (budget-wait.ts) at scrape. */
  slotWaits(count: () => number): void {
    new Gauge({
      name: 'medic_budget_slot_waits',
      help: 'Slot notifications this hub replica holds open (one connection per waiting node).',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }
}
