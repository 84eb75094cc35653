/**
 * Service incidents at the hub (issue 15 "one Slack bot for the fleet"): the Slack leader
 * (slack.ts) walks the events the agents shipped (fleet_events) after a cursor per node (rows
 * `fleet:<node>` of hub_slack) and posts one incident per service episode — a circuit opened, a
 * hard stop, an approval needed — as the agent's bot words it (slack-incident-message.ts: what
 * happened, the service's state, the recommended action and a Runbook button to the hub's
 * `/runbook`) with the hub's Approve / Block / Release controls; later incident events of the
 * same episode answer in its thread, and recovery (circuit closed, back to healthy) resolves it
 * in place and removes the controls. Each event is posted, then its incident row
 * (hub_incidents `svc:<node>/<service>`: what happened, the opening kind, the status lines) and
 * the node's cursor commit together: a new leader continues the threads and posts nothing twice
 * (a leader dying between the post and the commit re-posts: at least once).
 *
 * A click (slack-route.ts, any replica) becomes a fleet command; its `command_result` /
 * `command_expired` hub event reaches the leader, which updates the incident message with the
 * result (slack-service-update.ts). Maintenance windows are honoured as by the agent's bot
 * (bot/incidents/maintenance.ts): an event decided in a window without `notify` opens no
 * incident; with `notify` the incident says so.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { maintenancePrefix, suppressedByMaintenance } from '../../bot/incidents/maintenance.js';
import { happened, threadNote } from '../../bot/incidents/notes.js';
import type { MedicEvent } from '../../bot/types.js';
import { hubIncidents, hubSlack } from '../../db/pg/schema.js';
import type { HubDb } from './db.js';
import { slackCall } from './slack-api.js';
import { incidentKey, renderNow, type ServiceIncidentDeps } from './slack-service-update.js';

/** Agent event kinds that open (or add to) a service incident. */
export const INCIDENT_KINDS = ['circuit_opened', 'hard_stop', 'approval_requested'] as const;
/** Events per node per round. */
const PAGE = 50;

interface AgentEvent {
  id?: number;
  at?: number;
  kind: string;
  service: string | null;
  stateFrom?: string | null;
  stateTo?: string | null;
  reason?: string | null;
  decision?: string | null;
  actor?: string | null;
  /** The agent's event data: `maintenance` when it was decided inside a maintenance window. */
  data?: Record<string, unknown> | null;
}

/** An incident's next step and its text (what happened, a thread note, the recovery line). */
export type IncidentStep = { kind: 'open' | 'note' | 'resolve'; text: string } | null;

/**
 * What an agent event means for its service's incident (`open`: one is open): `open` with what
 * happened (the agent bot's wording: its reason, the window it happened in), a thread `note`
 * (the bot's note for the kind), or `resolve` with the recovery line. Pure.
 */
export function serviceIncidentStep(e: AgentEvent, node: string, open: boolean, tz: string): IncidentStep {
  if (!e.service) return null;
  const event: MedicEvent = {
    ...e,
    id: e.id ?? 0,
    at: e.at ?? null,
    decision: e.decision ?? null,
    actor: e.actor ?? null,
    reason: e.reason ?? null,
  };
  const opening = (INCIDENT_KINDS as readonly string[]).includes(e.kind);
  if (open) {
    if (e.kind === 'circuit_closed' || (e.stateTo === 'healthy' && e.stateFrom !== 'healthy'))
      return {
        kind: 'resolve',
        text: `:large_green_circle: *${e.service}* on *${node}* recovered (${e.kind}).`,
      };
    const note = opening ? threadNote(event, tz) : null;
    return note ? { kind: 'note', text: note } : null;
  }
  if (!opening) return null;
  // A maintenance window (issue 18) without `notify` opens nothing (the outage is expected; the
  // agent's audit log has it); with `notify` the incident says it happened during the window.
  if (suppressedByMaintenance(event)) return null;
  return { kind: 'open', text: maintenancePrefix(event) + happened(event) };
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
  const event = { ...r.event!, kind: r.kind!, service };
  const step = serviceIncidentStep(event, node, open !== undefined, deps.timeZone);
  if (step?.kind === 'open') {
    const values = {
      channel: slack.channel,
      openedAt: Number(r.at),
      resolvedAt: null,
      text: step.text,
      kind: r.kind,
      status: [] as string[],
    };
    const msg = await renderNow(deps, node, service, values);
    const posted = await slackCall(slack, clock, 'chat.postMessage', { channel: slack.channel, ...msg });
    await db.transaction(async (tx) => {
      const row = { ...values, ts: posted.ts! };
      await tx
        .insert(hubIncidents)
        .values({ key, ...row })
        .onConflictDoUpdate({ target: hubIncidents.key, set: row });
      await advance(tx, node, eventId);
    });
    return;
  }
  let status: string[] | null = null;
  if (step && open) {
    await slackCall(slack, clock, 'chat.postMessage', {
      channel: open.channel,
      thread_ts: open.ts,
      text: step.text,
    });
    if (step.kind === 'resolve') {
      // Resolved in place under the service as it is now; the controls go (nothing is pending).
      status = [...open.status, step.text];
      const msg = await renderNow(deps, node, service, { ...open, status, resolvedAt: Number(r.at) });
      await slackCall(slack, clock, 'chat.update', { channel: open.channel, ts: open.ts, ...msg });
    }
  }
  await db.transaction(async (tx) => {
    if (status)
      await tx
        .update(hubIncidents)
        .set({ resolvedAt: Number(r.at), status })
        .where(eq(hubIncidents.key, key));
    await advance(tx, node, eventId);
  });
}
