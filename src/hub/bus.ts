/**
 * Fan-out across hub replicas with PostgreSQL LISTEN/NOTIFY: every replica holds one connection
 * listening on the hub channel; the writer NOTIFYs inside its transaction (delivered at commit,
 * in commit order), and each replica reads the rows named by the payload and hands them to its
 * own subscribers (agent-event ranges queued meanwhile are read together, in one query). Payloads are small (`{ hub: id }` or `{ node, from, to }`): NOTIFY payloads are
 * capped at 8000 bytes.
 *
 * When the listening connection drops (PostgreSQL restarted) it reconnects with backoff on the
 * Clock and replays hub events committed meanwhile (ids > the last one seen). Agent events
 * stored meanwhile are not replayed to live subscribers: read them with `recoveryEvents`.
 */
import { asc, eq, gt, sql } from 'drizzle-orm';
import pg from 'pg';
import { fleetEvents, hubEvents } from '../../db/pg/schema.js';
import type { Clock, Timer } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { HubDb } from './db.js';
import { HUB_CHANNEL, type HubEvent, toHubEvent } from './events.js';

/** One agent event as stored at the hub. */
export interface FleetEvent {
  node: string;
  eventId: number;
  at: number;
  service: string | null;
  kind: string;
  event: Record<string, unknown>;
  receivedAt: number;
}

type Listener<T> = (value: T) => void;

const REPLAY_MARGIN = 256;

export class HubBus {
  private client: pg.Client | null = null;
  private timer: Timer | null = null;
  private closed = false;
  private failures = 0;
  /** Highest hub event id delivered; ids are taken before commit, so a lower one may still come. */
  private lastHubId = 0;
  /** Hub event ids delivered recently (a notification and a replay may name the same one). */
  private readonly seen = new Set<number>();
  private chain: Promise<void> = Promise.resolve();
  /** Agent-event ranges notified and not yet read (drainFleet). */
  private readonly pendingFleet: { node: string; from: number; to: number }[] = [];
  private readonly fleet = new Set<Listener<FleetEvent>>();
  private readonly hub = new Set<Listener<HubEvent>>();
  private readonly budget = new Set<Listener<string>>();
  /** Resolves once the first LISTEN is in place. */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly url: string,
    private readonly db: HubDb,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  async start(): Promise<void> {
    const max = await this.db.execute<{ id: string | null }>(sql`SELECT max(id) AS id FROM ${hubEvents}`);
    this.lastHubId = Number(max.rows[0]?.id ?? 0);
    this.connect();
    await this.ready;
  }

  onFleetEvent(listener: Listener<FleetEvent>): () => void {
    this.fleet.add(listener);
    return () => this.fleet.delete(listener);
  }

  /** Every hub event (command_issued/result/expired, node_down/up) committed by any replica. */
  onHubEvent(listener: Listener<HubEvent>): () => void {
    this.hub.add(listener);
    return () => this.hub.delete(listener);
  }

  /** A fleet budget lease of the group ended on any replica (`{ budget: group }`, hub/budget.ts). */
  onBudgetFreed(listener: Listener<string>): () => void {
    this.budget.add(listener);
    return () => this.budget.delete(listener);
  }

  /** How many subscribers listen (tests wait for a subscription to be in place). */
  listeners(): { fleet: number; hub: number } {
    return { fleet: this.fleet.size, hub: this.hub.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    await this.chain;
  }

  private connect(): void {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    let dropped = false;
    const drop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => {});
      if (this.closed) return;
      this.failures += 1;
      if (this.failures === 1)
        this.logger.warn({ err: err?.message }, 'hub event listener lost PostgreSQL: reconnecting');
      const delay = Math.min(200 * 2 ** Math.min(this.failures - 1, 5), 5000);
      this.timer = this.clock.setTimeout(() => this.connect(), delay);
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (msg) => {
      if (msg.channel !== HUB_CHANNEL || !msg.payload) return;
      this.notified(msg.payload);
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${HUB_CHANNEL}`))
      .then(() => {
        if (this.closed) return void client.end().catch(() => {});
        this.client = client;
        if (this.failures > 0)
          this.logger.info({ failures: this.failures }, 'hub event listener reconnected');
        this.failures = 0;
        this.markReady();
        // Hub events committed while we were not listening.
        this.enqueue(() => this.replayHubEvents());
      })
      .catch((err: Error) => drop(err));
  }

  /** Runs `fn` after the previous dispatch: subscribers see events in notification order. */
  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err) => {
      this.logger.warn({ err }, 'hub event dispatch failed');
    });
  }

  private notified(payload: string): void {
    let msg: { hub?: number; node?: string; from?: number; to?: number; budget?: string };
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof msg.budget === 'string') {
      // No read, no order to keep: the slot notifications look at the group themselves.
      for (const l of this.budget) l(msg.budget);
      return;
    }
    const hub = msg.hub;
    if (typeof hub === 'number') {
      this.enqueue(async () => {
        if (this.seen.has(hub)) return;
        const rows = await this.db.select().from(hubEvents).where(eq(hubEvents.id, hub));
        for (const r of rows) this.deliverHub(r);
      });
      return;
    }
    if (typeof msg.node === 'string' && typeof msg.from === 'number' && typeof msg.to === 'number') {
      this.pendingFleet.push({ node: msg.node, from: msg.from, to: msg.to });
      // One drain reads every range queued by the time it runs with ONE query: under a steady
      // stream of batches the listener keeps up instead of paying a round trip per batch.
      if (this.pendingFleet.length === 1) this.enqueue(() => this.drainFleet());
    }
  }

  /** Reads every queued (node, from, to] range in one query; delivers in notification order. */
  private async drainFleet(): Promise<void> {
    const ranges = this.pendingFleet.splice(0);
    if (ranges.length === 0 || this.fleet.size === 0) return;
    const { rows } = await this.db.execute<{
      node: string;
      event_id: string;
      at: string;
      service: string | null;
      kind: string;
      event: Record<string, unknown>;
      received_at: string;
    }>(sql`
      SELECT e.node, e.event_id, e.at, e.service, e.kind, e.event, e.received_at
      FROM jsonb_to_recordset(${JSON.stringify(ranges.map((r, ord) => ({ ...r, ord })))}::jsonb)
        AS r(node text, "from" bigint, "to" bigint, ord int)
      JOIN ${fleetEvents} AS e ON e.node = r.node AND e.event_id > r."from" AND e.event_id <= r."to"
      ORDER BY r.ord, e.event_id`);
    for (const r of rows) {
      const event: FleetEvent = {
        node: r.node,
        eventId: Number(r.event_id),
        at: Number(r.at),
        service: r.service,
        kind: r.kind,
        event: r.event,
        receivedAt: Number(r.received_at),
      };
      for (const l of this.fleet) l(event);
    }
  }

  /** After a reconnect: events committed meanwhile (a margin below the last id catches late commits). */
  private async replayHubEvents(): Promise<void> {
    const rows = await this.db
      .select()
      .from(hubEvents)
      .where(gt(hubEvents.id, Math.max(0, this.lastHubId - REPLAY_MARGIN)))
      .orderBy(asc(hubEvents.id))
      .limit(1000);
    for (const r of rows) this.deliverHub(r);
  }

  private deliverHub(row: typeof hubEvents.$inferSelect): void {
    if (this.seen.has(row.id)) return;
    this.seen.add(row.id);
    // Forget the oldest ids beyond the margin: replays never reach below it.
    if (this.seen.size > 4 * REPLAY_MARGIN) {
      for (const id of this.seen) {
        if (this.seen.size <= 2 * REPLAY_MARGIN) break;
        this.seen.delete(id);
      }
    }
    this.lastHubId = Math.max(this.lastHubId, row.id);
    const event = toHubEvent(row);
    for (const l of this.hub) l(event);
  }
}
