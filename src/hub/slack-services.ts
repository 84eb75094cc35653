/**
 * Longer than ~200 lines on purpose: the walk over the agents' events, the incident it opens and
 * the message updated with a command's result are one protocol of the Slack leader.
 *
 * Service incidents at the hub (issue 15 "one Slack bot for the fleet"): the Slack leader
 * (slack.ts) walks the events the agents shipped (fleet_events) after a cursor per node (rows
 * `fleet:<node>` of hub_slack) and posts one incident per service episode — a circuit opened, a
 * hard stop, an approval needed — with Approve / Block controls; later incident events of the
 * same episode answer in its thread, and recovery (circuit closed, back to healthy) closes it.
 * Each event is posted, then its incident row (hub_incidents `svc:<node>/<service>`, with the
 * message text) and the node's cursor commit together: a new leader continues the threads and
 * posts nothing twice (a leader dying between the post and the commit re-posts: at least once).
 *
 * A click (slack-route.ts, any replica) becomes a fleet command; its `command_result` /
 * `command_expired` hub event reaches the leader, which updates the incident message with the
 * result (`updateWithResult`). Maintenance windows are honoured as by the agent's bot: an event
 * decided in a window without `notify` opens no incident; with `notify` the incident says so.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { hubIncidents, hubSlack } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import { maintenanceMarkOf } from '../core/maintenance.js';
import type { HubDb } from './db.js';
import type { HubEvent } from './events.js';
import { findService } from './nodes.js';
import { type SlackTarget, slackCall } from './slack-api.js';

/** Agent event kinds that open (or add to) a service incident. */
export const INCIDENT_KINDS = ['circuit_opened', 'hard_stop', 'approval_requested'] as const;
/** The Block choices (seconds), as the agent's bot offers them. */
export const HUB_BLOCK_TTLS = [
  { label: '30 min', sec: 1800 },
  { label: '2 h', sec: 7200 },
  { label: '8 h', sec: 28800 },
  { label: '24 h', sec: 86400 },
] as const;
export const HUB_ACTION = {
  approve: 'medic_hub_approve',
  block: 'medic_hub_block',
  release: 'medic_hub_release',
} as const;
/** Events per node per round. */
const PAGE = 50;

export const incidentKey = (node: string, service: string) => `svc:${node}/${service}`;

/** A control's value: `hub|<ttlSec or 0>|<node>|<service>` (node names have no `|`). */
export function controlValue(node: string, service: string, ttlSec = 0): string {
  return `hub|${ttlSec}|${node}|${service}`;
}

export function parseControlValue(v: unknown): { node: string; service: string; ttlSec: number } | null {
  if (typeof v !== 'string') return null;
  const m = /^hub\|(\d+)\|([A-Za-z0-9][A-Za-z0-9._-]*)\|(.+)$/.exec(v);
  return m ? { ttlSec: Number(m[1]), node: m[2]!, service: m[3]! } : null;
}

interface AgentEvent {
  kind: string;
  service: string | null;
  stateFrom?: string | null;
  stateTo?: string | null;
  reason?: string | null;
  /** The agent's event data: `maintenance` when it was decided inside a maintenance window. */
  data?: Record<string, unknown> | null;
}

export type IncidentStep = { kind: 'open' | 'note' | 'resolve'; text: string } | null;

/** What an agent event means for its service's incident (`open`: one is open). Pure. */
export function serviceIncidentStep(e: AgentEvent, node: string, open: boolean): IncidentStep {
  if (!e.service) return null;
  const why = e.reason ? ` — ${e.reason}` : '';
  const opening = (INCIDENT_KINDS as readonly string[]).includes(e.kind);
  if (open) {
    if (e.kind === 'circuit_closed' || (e.stateTo === 'healthy' && e.stateFrom !== 'healthy'))
      return {
        kind: 'resolve',
        text: `:large_green_circle: *${e.service}* on *${node}* recovered (${e.kind}).`,
      };
    return opening ? { kind: 'note', text: `${TEXT[e.kind] ?? e.kind}${why}` } : null;
  }
  if (!opening) return null;
  // A maintenance window (issue 18) without `notify` opens nothing (the outage is expected; the
  // agent's audit log has it); with `notify` the incident says it happened during the window.
  const window = maintenanceMarkOf(e.data);
  if (window && !window.notify) return null;
  const during = window ? `:wrench: During maintenance window ${window.name} (${window.mode}): ` : '';
  return {
    kind: 'open',
    text: `:rotating_light: *${e.service}* on *${node}*: ${during}${TEXT[e.kind]}${why}`,
  };
}

const TEXT: Record<string, string> = {
  circuit_opened: 'circuit opened, automatic restarts stopped',
  hard_stop: 'unit stopped (hard stop on churn)',
  approval_requested: 'a probe restart needs approval',
};

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });

/**
 * The controls of one fleet service (incident messages, App Home): Approve, and Block while it
 * is not held, Release while it is. Values name the node and service; a click is re-checked at
 * the hub and the node's agent (slack-route.ts).
 */
export function hubControls(node: string, service: string, held: boolean) {
  const approve = {
    type: 'button',
    action_id: HUB_ACTION.approve,
    style: 'primary',
    text: plain('Approve probe restart'),
    value: controlValue(node, service),
  };
  const release = {
    type: 'button',
    action_id: HUB_ACTION.release,
    text: plain('Release hold'),
    value: controlValue(node, service),
  };
  const block = {
    type: 'static_select',
    action_id: HUB_ACTION.block,
    placeholder: plain('Block auto-restart…'),
    options: HUB_BLOCK_TTLS.map((t) => ({
      text: plain(`Block for ${t.label}`),
      value: controlValue(node, service, t.sec),
    })),
  };
  return { type: 'actions', elements: [approve, held ? release : block] };
}

/**
 * The incident message: its text, an optional result line, and the controls while open
 * (Release instead of Block while the service is held).
 */
export function incidentBlocks(
  node: string,
  service: string,
  text: string,
  line: string | null,
  open: boolean,
  held = false,
) {
  const blocks: Record<string, unknown>[] = [section(text)];
  if (line) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: line }] });
  if (open) blocks.push(hubControls(node, service, held));
  return blocks;
}

export interface ServiceIncidentDeps {
  db: HubDb;
  clock: Clock;
  slack: SlackTarget;
  /** False once leadership is lost or the leader stops: the walk ends at once. */
  leading: () => boolean;
}

type Row = {
  node: string;
  cursor: string;
  upto: string;
  event_id: string | null;
  service: string | null;
  kind: string | null;
  event: AgentEvent | null;
  at: string | null;
};

/** One round of the walk: every node with unread events, oldest first, PAGE per node. */
export async function postServiceIncidents(deps: ServiceIncidentDeps): Promise<void> {
  const { db, clock } = deps;
  // Events older than the first leader's start are history, never posted.
  await db.insert(hubSlack).values({ key: 'fleet-start', cursor: clock.now() }).onConflictDoNothing();
  await db.execute(sql`
    INSERT INTO ${hubSlack} (key, cursor) SELECT 'fleet:' || name, 0 FROM nodes
    ON CONFLICT (key) DO NOTHING`);
  const { rows } = await db.execute<Row>(sql`
    SELECT n.name AS node, c.cursor, n.cursor AS upto, f.event_id, f.service, f.kind, f.event, f.at
    FROM nodes n
    JOIN ${hubSlack} c ON c.key = 'fleet:' || n.name
    LEFT JOIN LATERAL (
      SELECT * FROM fleet_events f
      WHERE f.node = n.name AND f.event_id > c.cursor AND f.event_id <= n.cursor
        AND f.at >= (SELECT cursor FROM ${hubSlack} WHERE key = 'fleet-start')
        AND f.service IS NOT NULL
        AND (f.kind IN ('circuit_opened', 'hard_stop', 'approval_requested', 'circuit_closed')
             OR f.event->>'stateTo' = 'healthy')
      ORDER BY f.event_id LIMIT ${PAGE}) f ON true
    WHERE c.cursor < n.cursor
    ORDER BY n.name, f.event_id`);
  const byNode = new Map<string, Row[]>();
  for (const r of rows) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
  for (const [node, list] of byNode) {
    const events = list.filter((r) => r.event_id !== null);
    for (const r of events) {
      if (!deps.leading()) return;
      await handleEvent(deps, node, r);
    }
    // Everything up to the node's stored cursor was read (fewer than a page matched).
    if (events.length < PAGE && deps.leading()) await advance(db, node, Number(list[0]!.upto));
  }
}

const advance = (db: Pick<HubDb, 'update'>, node: string, to: number) =>
  db
    .update(hubSlack)
    .set({ cursor: sql`greatest(${hubSlack.cursor}, ${to})` })
    .where(eq(hubSlack.key, `fleet:${node}`));

async function handleEvent(deps: ServiceIncidentDeps, node: string, r: Row): Promise<void> {
  const { db, slack, clock } = deps;
  const service = r.service!;
  const key = incidentKey(node, service);
  const eventId = Number(r.event_id);
  const [open] = await db
    .select()
    .from(hubIncidents)
    .where(and(eq(hubIncidents.key, key), isNull(hubIncidents.resolvedAt)));
  const step = serviceIncidentStep({ ...r.event!, kind: r.kind!, service }, node, open !== undefined);
  if (step?.kind === 'open') {
    const posted = await slackCall(slack, clock, 'chat.postMessage', {
      channel: slack.channel,
      text: step.text,
      blocks: incidentBlocks(node, service, step.text, null, true),
    });
    await db.transaction(async (tx) => {
      const values = {
        channel: slack.channel,
        ts: posted.ts!,
        openedAt: Number(r.at),
        resolvedAt: null,
        text: step.text,
      };
      await tx
        .insert(hubIncidents)
        .values({ key, ...values })
        .onConflictDoUpdate({ target: hubIncidents.key, set: values });
      await advance(tx, node, eventId);
    });
    return;
  }
  if (step && open) {
    await slackCall(slack, clock, 'chat.postMessage', {
      channel: open.channel,
      thread_ts: open.ts,
      text: step.text,
    });
    if (step.kind === 'resolve') {
      // The controls go: nothing is pending any more.
      await slackCall(slack, clock, 'chat.update', {
        channel: open.channel,
        ts: open.ts,
        text: open.text ?? step.text,
        blocks: incidentBlocks(node, service, open.text ?? step.text, step.text, false),
      });
    }
  }
  await db.transaction(async (tx) => {
    if (step?.kind === 'resolve')
      await tx
        .update(hubIncidents)
        .set({ resolvedAt: Number(r.at) })
        .where(eq(hubIncidents.key, key));
    await advance(tx, node, eventId);
  });
}

const HELD = (state: string | null) => state === 'held';

const OPERATION_TEXT: Record<string, string> = {
  approveRestart: 'approved a probe restart',
  holdService: 'blocked automatic restarts',
  releaseService: 'released the hold',
};

/**
 * A Slack-issued command finished (`command_result`) or expired (`command_expired`): the incident
 * message shows who did what and what the agent answered. Other commands: nothing.
 */
export async function updateWithResult(deps: ServiceIncidentDeps, event: HubEvent): Promise<void> {
  if (!event.actor?.startsWith('slack:') || !event.node || !event.service) return;
  const [incident] = await deps.db
    .select()
    .from(hubIncidents)
    .where(eq(hubIncidents.key, incidentKey(event.node, event.service)));
  if (!incident) return;
  const d = event.data as {
    operation?: string;
    ok?: boolean;
    type?: string;
    code?: string | null;
    state?: string | null;
    message?: string | null;
  };
  const who = `<@${event.actor.slice('slack:'.length)}>`;
  const what = OPERATION_TEXT[d.operation ?? ''] ?? d.operation;
  const line =
    event.kind === 'command_expired'
      ? `:hourglass: ${who} ${what}: *${event.node}* did not answer in time (command expired, not run).`
      : d.ok
        ? `:white_check_mark: ${who} ${what}: done on *${event.node}* (now ${d.state ?? 'unknown'}).`
        : `:no_entry: ${who} ${what}: refused on *${event.node}* (${d.code ?? d.type}${d.message ? `: ${d.message}` : ''}).`;
  const text = incident.text ?? `*${event.service}* on *${event.node}*`;
  // Held or not: the agent's answer when it took the command, else the view it last shipped.
  const state =
    d.ok && d.state
      ? d.state
      : await findService(deps.db, event.node, event.service).then((f) => (f.ok ? f.service.state : null));
  await slackCall(deps.slack, deps.clock, 'chat.update', {
    channel: incident.channel,
    ts: incident.ts,
    text: `${text}\n${line}`,
    blocks: incidentBlocks(event.node, event.service, text, line, incident.resolvedAt === null, HELD(state)),
  });
}
