/**
 * The bot-only GraphQL operations (src/api/schema/types/bot.ts): pending actions behind the
 * buttons, the bot's incident threads and its event cursor. Each names its actor; a click's
 * claim runs as the clicking user, the bot's own bookkeeping as BOT_ACTOR.
 */
import type { PendingAction, PendingActionKind } from '../../src/core/pending.js';
import type { GraphqlActor, GraphqlFn } from '../types.js';
import { GraphqlRequestError } from './ops.js';

const ACTION_FIELDS = 'id service kind incident createdAt expiresAt usedAt usedBy';

/** Times arrive as ISO strings; the bot keeps epoch ms like the rest of medic. */
const ms = (t: unknown): number | null => (typeof t === 'string' ? Date.parse(t) : null);

function parseAction(raw: unknown): PendingAction | null {
  if (!raw || typeof raw !== 'object') return null;
  const a = raw as Record<string, unknown>;
  return {
    id: String(a.id),
    service: String(a.service),
    kind: a.kind as PendingActionKind,
    incident: String(a.incident),
    createdAt: ms(a.createdAt) ?? 0,
    expiresAt: ms(a.expiresAt) ?? 0,
    usedAt: ms(a.usedAt),
    usedBy: typeof a.usedBy === 'string' ? a.usedBy : null,
  };
}

async function run<T>(
  gql: GraphqlFn,
  actor: GraphqlActor,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const r = await gql(query, variables, actor);
  const first = r.errors?.[0];
  if (first) {
    const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL';
    throw new GraphqlRequestError(first.message, code);
  }
  return (r.data ?? {}) as T;
}

export async function getPendingAction(gql: GraphqlFn, actor: GraphqlActor, id: string) {
  const q = `query MedicBotPendingAction($id: String!) { pendingAction(id: $id) { ${ACTION_FIELDS} } }`;
  return parseAction((await run<{ pendingAction: unknown }>(gql, actor, q, { id })).pendingAction);
}

export async function openPendingActions(gql: GraphqlFn, actor: GraphqlActor, service: string) {
  const q = `query MedicBotOpenActions($service: String!) { openPendingActions(service: $service) { ${ACTION_FIELDS} } }`;
  const d = await run<{ openPendingActions: unknown[] }>(gql, actor, q, { service });
  return d.openPendingActions.map(parseAction).filter((a): a is PendingAction => a !== null);
}

/** First click wins: ok for the one claim that won; `action` is the action as it is now. */
export async function claimPendingAction(gql: GraphqlFn, actor: GraphqlActor, id: string) {
  const q = `mutation MedicBotClaim($id: String!) { claimPendingAction(id: $id) { ok action { ${ACTION_FIELDS} } } }`;
  const d = await run<{ claimPendingAction: { ok: boolean; action: unknown } }>(gql, actor, q, { id });
  return { ok: d.claimPendingAction.ok, action: parseAction(d.claimPendingAction.action) };
}

export type ActionIds = Partial<Record<PendingActionKind, string>>;

/** The ids behind each incident's buttons (reused or minted by the API), by service. */
export async function ensurePendingActions(
  gql: GraphqlFn,
  actor: GraphqlActor,
  requests: { service: string; incident: string }[],
): Promise<Map<string, ActionIds>> {
  if (requests.length === 0) return new Map();
  const q =
    'mutation MedicBotEnsureActions($requests: [PendingActionRequest!]!) { ensurePendingActions(requests: $requests) { service approve block release } }';
  type Row = { service: string } & Record<PendingActionKind, string | null>;
  const d = await run<{ ensurePendingActions: Row[] }>(gql, actor, q, { requests });
  const out = new Map<string, ActionIds>();
  for (const row of d.ensurePendingActions) {
    const ids: ActionIds = {};
    for (const kind of ['approve', 'block', 'release'] as const) if (row[kind]) ids[kind] = row[kind]!;
    out.set(row.service, ids);
  }
  return out;
}

/** A Slack incident row as the API keeps it (times epoch ms here, ISO on the wire). */
export interface IncidentRow {
  key: string;
  slot: string;
  service: string | null;
  channel: string;
  ts: string | null;
  openedAt: number;
  closedAt: number | null;
  lastEventId: number;
  data: Record<string, unknown>;
}

const INCIDENT_FIELDS = 'key slot service channel ts openedAt closedAt lastEventId data';

export async function loadIncidents(gql: GraphqlFn, actor: GraphqlActor): Promise<IncidentRow[]> {
  const q = `query MedicBotIncidents { slackIncidents { ${INCIDENT_FIELDS} } }`;
  const d = await run<{ slackIncidents: Array<Record<string, unknown>> }>(gql, actor, q, {});
  return d.slackIncidents.map((r) => ({
    key: String(r.key),
    slot: String(r.slot),
    service: typeof r.service === 'string' ? r.service : null,
    channel: String(r.channel),
    ts: typeof r.ts === 'string' ? r.ts : null,
    openedAt: ms(r.openedAt) ?? 0,
    closedAt: ms(r.closedAt),
    lastEventId: Number(r.lastEventId),
    data: (r.data ?? {}) as Record<string, unknown>,
  }));
}

export async function saveIncident(gql: GraphqlFn, actor: GraphqlActor, row: IncidentRow): Promise<void> {
  const q =
    'mutation MedicBotSaveIncident($incident: SlackIncidentInput!) { saveSlackIncident(incident: $incident) { key } }';
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  await run(gql, actor, q, {
    incident: { ...row, openedAt: iso(row.openedAt), closedAt: iso(row.closedAt) },
  });
}

export async function loadEventCursor(
  gql: GraphqlFn,
  actor: GraphqlActor,
  name: string,
): Promise<number | null> {
  const q = 'query MedicBotCursor($name: String!) { eventCursor(name: $name) }';
  const d = await run<{ eventCursor: number | null }>(gql, actor, q, { name });
  return d.eventCursor ?? null;
}

export async function advanceEventCursor(
  gql: GraphqlFn,
  actor: GraphqlActor,
  name: string,
  eventId: number,
): Promise<void> {
  const q =
    'mutation MedicBotAdvance($name: String!, $eventId: Int!) { advanceEventCursor(name: $name, eventId: $eventId) }';
  await run(gql, actor, q, { name, eventId });
}
