/**
 * A service incident's message as it stands now, and its update when a Slack-issued command
 * finished. The message is rendered from the incident's row (hub_incidents: what happened, the
 * opening kind, the status lines) and the service's view as its node last shipped it
 * (slack-incident-message.ts: the agent bot's blocks with the recommended action and Runbook);
 * the posting walk (slack-services.ts) and the result update both render through `renderNow`.
 */
import { eq } from 'drizzle-orm';
import { hubIncidents } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import type { HubDb } from './db.js';
import type { HubEvent } from './events.js';
import { findService } from './nodes.js';
import { type SlackTarget, slackCall } from './slack-api.js';
import { fleetInfo, hubIncidentMessage } from './slack-incident-message.js';

export interface ServiceIncidentDeps {
  db: HubDb;
  clock: Clock;
  slack: SlackTarget;
  /** False once leadership is lost or the leader stops: the walk ends at once. */
  leading: () => boolean;
  /** Base of the runbook links (MEDIC_PUBLIC_URL, or the hub's URL once it listens). */
  publicUrl: () => string;
  /** Times in the messages ("HH:MM"), as the agent's bot shows them. */
  timeZone: string;
}

export const incidentKey = (node: string, service: string) => `svc:${node}/${service}`;

/** What of an incident's row its message needs. */
export interface IncidentRow {
  text: string | null;
  kind: string | null;
  openedAt: number;
  status: string[];
  resolvedAt: number | null;
}

/**
 * The message of `node/service`'s incident now: the service's current view (none when the hub
 * holds no full view of it), Release instead of Block when `held` (default: the view says held).
 */
export async function renderNow(
  deps: Pick<ServiceIncidentDeps, 'db' | 'publicUrl' | 'timeZone'>,
  node: string,
  service: string,
  row: IncidentRow,
  held?: boolean,
) {
  const found = await findService(deps.db, node, service);
  const info = found.ok ? fleetInfo(found.service, deps.publicUrl()) : null;
  return hubIncidentMessage({
    node,
    service,
    kind: row.kind,
    happened: row.text ?? `${service} on ${node}`,
    at: row.openedAt,
    info,
    held: held ?? (found.ok && found.service.state === 'held'),
    status: row.status,
    resolved: row.resolvedAt !== null,
    timeZone: deps.timeZone,
  });
}

const OPERATION_TEXT: Record<string, string> = {
  approveRestart: 'approved a probe restart',
  holdService: 'blocked automatic restarts',
  releaseService: 'released the hold',
};

/** The status line a command's result (or expiry) leaves on the incident. Pure. */
export function resultLine(event: HubEvent): string {
  const d = event.data as {
    operation?: string;
    ok?: boolean;
    type?: string;
    code?: string | null;
    state?: string | null;
    message?: string | null;
  };
  const who = `<@${event.actor?.slice('slack:'.length)}>`;
  const what = OPERATION_TEXT[d.operation ?? ''] ?? d.operation;
  if (event.kind === 'command_expired')
    return `:hourglass: ${who} ${what}: *${event.node}* did not answer in time (command expired, not run).`;
  return d.ok
    ? `:white_check_mark: ${who} ${what}: done on *${event.node}* (now ${d.state ?? 'unknown'}).`
    : `:no_entry: ${who} ${what}: refused on *${event.node}* (${d.code ?? d.type}${d.message ? `: ${d.message}` : ''}).`;
}

/**
 * A Slack-issued command finished (`command_result`) or expired (`command_expired`): the incident
 * message gets the line saying who did what and what the agent answered, under the service as it
 * is now. Other commands: nothing. The line is stored after the update (not twice when retried).
 */
export async function updateWithResult(deps: ServiceIncidentDeps, event: HubEvent): Promise<void> {
  if (!event.actor?.startsWith('slack:') || !event.node || !event.service) return;
  const key = incidentKey(event.node, event.service);
  const [incident] = await deps.db.select().from(hubIncidents).where(eq(hubIncidents.key, key));
  if (!incident) return;
  const d = event.data as { ok?: boolean; state?: string | null };
  const line = resultLine(event);
  const status = incident.status.at(-1) === line ? incident.status : [...incident.status, line];
  // Held or not: the agent's answer when it took the command, else the view it last shipped.
  const held = d.ok && d.state ? d.state === 'held' : undefined;
  const row = { ...incident, status };
  const msg = await renderNow(deps, event.node, event.service, row, held);
  await slackCall(deps.slack, deps.clock, 'chat.update', {
    channel: incident.channel,
    ts: incident.ts,
    ...msg,
  });
  await deps.db.update(hubIncidents).set({ status }).where(eq(hubIncidents.key, key));
}
