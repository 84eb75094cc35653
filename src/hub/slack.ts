/**
 * Longer than ~200 lines on purpose: leadership (the advisory-lock session) and the post/commit
 * order it protects are one protocol; apart, the at-least-once window would not be visible.
 *
 * Slack at the hub (issue 15): exactly one replica talks to Slack. Leadership is a PostgreSQL
 * session advisory lock held on a dedicated connection (`pg_try_advisory_lock`, retried every
 * `retryMs`): when the leader dies its session ends, the lock is free, and another replica takes
 * over within one retry. The leader walks the hub's audit log after a cursor kept in PostgreSQL
 * (table hub_slack) and posts one incident per node gone dark (`node_down`), answering in its
 * thread when the node is back (`node_up`); the thread (hub_incidents) lives in PostgreSQL too,
 * so a new leader continues the old leader's threads. Each event is posted, then its incident
 * row and the cursor commit together: a leader dying between the two makes the next one post it
 * again (at least once; the window is one HTTP call).
 *
 * Posting uses Slack's Web API (chat.postMessage) at SLACK_API_URL with SLACK_BOT_TOKEN into
 * SLACK_CHANNEL. A failing call (Slack down, 429) leaves the cursor: retried next round.
 *
 * The leader also posts the agents' service incidents with Approve / Block controls and updates
 * them with the result of a click's command (slack-services.ts; clicks arrive at any replica,
 * slack-route.ts), and one incident per fleet budget group while services wait in it
 * (slack-budget.ts).
 */
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import pg from 'pg';
import { hubEvents, hubIncidents, hubSlack } from '../../db/pg/schema.js';
import type { Clock, Timer } from '../clock/clock.js';
import { maintenanceMarkOf } from '../core/maintenance.js';
import type { Logger } from '../log.js';
import type { HubDb } from './db.js';
import { type HubEvent, toHubEvent } from './events.js';
import { type SlackTarget, slackCall } from './slack-api.js';
import { postBudgetIncidents } from './slack-budget.js';
import { nodeDownMessage } from './slack-incident-message.js';
import { type ServiceIncidentDeps, updateWithResult } from './slack-service-update.js';
import { postServiceIncidents } from './slack-services.js';

/** The advisory lock key of Slack leadership (any fixed number, distinct from migrations'). */
export const SLACK_LEADER_LOCK = 0x6d65646c;
const KINDS = ['node_down', 'node_up', 'command_result', 'command_expired'];

export type { SlackTarget };

export interface SlackLeaderOptions {
  url: string;
  db: HubDb;
  clock: Clock;
  logger: Logger;
  slack: SlackTarget;
  /** How often a follower tries the lock, and how often the leader looks for new events. */
  retryMs?: number;
  /** Replica name in logs and metrics. */
  replica: string;
  /** Base of the incidents' runbook links (MEDIC_PUBLIC_URL or the hub's URL; default relative). */
  publicUrl?: () => string;
  onLeadership?: (leader: boolean) => void;
}

export class SlackLeader {
  private client: pg.Client | null = null;
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private leader = false;
  private failures = 0;
  private readonly services: ServiceIncidentDeps;
  /** Per fleet budget group, when its incident message was last updated (slack-budget.ts). */
  private readonly budgetUpdated = new Map<string, number>();

  constructor(private readonly opts: SlackLeaderOptions) {
    this.services = {
      db: opts.db,
      clock: opts.clock,
      slack: opts.slack,
      leading: () => this.leader && !this.stopped,
      publicUrl: opts.publicUrl ?? (() => ''),
      // Times in Slack texts, as the agent's bot shows them.
      timeZone: 'UTC',
    };
  }

  isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.running;
    await this.drop();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.running = this.round()
        .catch((err: Error) => {
          this.failures += 1;
          if (this.failures === 1)
            this.opts.logger.warn({ err: err.message }, 'hub Slack round failed (retrying)');
        })
        .then(() => this.schedule(this.opts.retryMs ?? 2000));
    }, ms);
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.opts.logger.info(
      { replica: this.opts.replica },
      leader ? 'Slack leader: this hub replica talks to Slack' : 'Slack leadership lost',
    );
    this.opts.onLeadership?.(leader);
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.setLeader(false);
    await client?.end().catch(() => {});
  }

  /** Try the lock (follower) or post what is new (leader). */
  private async round(): Promise<void> {
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 2000 });
      client.on('error', () => {
        // The session (and with it the lock) is gone.
        if (this.client === client) void this.drop();
      });
      await client.connect();
      this.client = client;
    }
    if (!this.leader) {
      const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        SLACK_LEADER_LOCK,
      ]);
      if (!rows[0]?.ok) return;
      this.setLeader(true);
    }
    await this.post();
    if (this.failures > 0) this.opts.logger.info({ failures: this.failures }, 'hub Slack works again');
    this.failures = 0;
  }

  private async post(): Promise<void> {
    const { db } = this.opts;
    await db.insert(hubSlack).values({ key: 'main', cursor: 0 }).onConflictDoNothing();
    const [row] = await db.select().from(hubSlack).where(eq(hubSlack.key, 'main'));
    const rows = await db
      .select()
      .from(hubEvents)
      .where(and(gt(hubEvents.id, row!.cursor), inArray(hubEvents.kind, KINDS)))
      .orderBy(asc(hubEvents.id))
      .limit(50);
    for (const r of rows) {
      if (!this.leader || this.stopped) return;
      await this.handle(toHubEvent(r));
    }
    if (this.leader && !this.stopped) await postServiceIncidents(this.services);
    if (this.leader && !this.stopped) await postBudgetIncidents(this.services, this.budgetUpdated);
  }

  private async handle(event: HubEvent): Promise<void> {
    const { db, slack } = this.opts;
    const key = `node:${event.node}`;
    const advance = (tx: Pick<HubDb, 'update'>) =>
      tx
        .update(hubSlack)
        .set({ cursor: sql`greatest(${hubSlack.cursor}, ${event.id})` })
        .where(eq(hubSlack.key, 'main'));
    if (event.kind === 'command_result' || event.kind === 'command_expired') {
      await updateWithResult(this.services, event);
      await advance(db);
      return;
    }
    if (event.kind === 'node_down') {
      // Dark inside a maintenance window (liveness.ts): nothing without notify, marked with it.
      const window = maintenanceMarkOf(event.data);
      if (window && !window.notify) return void (await advance(db));
      const during = window ? `:wrench: During maintenance window ${window.name} (${window.mode}): ` : '';
      const silentSec = Math.round(Number(event.data.silentForMs ?? 0) / 1000);
      const text = `:red_circle: ${during}medic on *${event.node}* stopped reporting to the hub (silent ${silentSec}s). Its services are not watched from the hub; check the host and \`systemctl status medic\` there.`;
      const ts = await this.call('chat.postMessage', {
        channel: slack.channel,
        text,
        blocks: nodeDownMessage(text, this.services.publicUrl()),
      });
      await db.transaction(async (tx) => {
        await tx
          .insert(hubIncidents)
          .values({ key, channel: slack.channel, ts, openedAt: event.at })
          .onConflictDoUpdate({
            target: hubIncidents.key,
            set: { channel: slack.channel, ts, openedAt: event.at, resolvedAt: null },
          });
        await advance(tx);
      });
      return;
    }
    // node_up: answer in the open incident's thread (posted by whichever replica led then).
    const [open] = await db
      .select()
      .from(hubIncidents)
      .where(and(eq(hubIncidents.key, key), isNull(hubIncidents.resolvedAt)));
    if (open) {
      const downSec = Math.round(Number(event.data.downForMs ?? 0) / 1000);
      await this.call('chat.postMessage', {
        channel: open.channel,
        thread_ts: open.ts,
        text: `:large_green_circle: *${event.node}* reports again (down ${downSec}s).`,
      });
    }
    await db.transaction(async (tx) => {
      if (open) await tx.update(hubIncidents).set({ resolvedAt: event.at }).where(eq(hubIncidents.key, key));
      await advance(tx);
    });
  }

  /** One Web API call; returns the message ts. Throws on any failure (the round is retried). */
  private async call(method: string, args: Record<string, unknown>): Promise<string> {
    const body = await slackCall(this.opts.slack, this.opts.clock, method, args);
    if (typeof body.ts !== 'string') throw new Error(`Slack ${method} answered without a ts`);
    return body.ts;
  }
}
