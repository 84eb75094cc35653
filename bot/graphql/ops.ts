/**
 * The GraphQL operations the bot uses (issue 5's names) and thin typed wrappers. Every call
 * names its actor; authorization and the `access_denied` audit happen in the API.
 */
import type { GraphqlActor, GraphqlFn, MedicEvent, ServiceInfo } from '../types.js';

const SERVICE_FIELDS = `
  name unit state mode approvalPending
  churn { restartsInWindow windowSec maxRestarts totalRestarts blockedAttempts circuitOpens lastRestartAt }
  cooldown { active until }
  circuit { state openedAt reopensAt }
  hold { actor reason until }
  recommendedAction { code summary command runbookUrl }
  lastDecision { decision reason at actor }
`;

/**
 * What `/medic status` and App Home show besides: the window in force and its end, the fleet
 * budget group. Not in the events' `serviceView` (a page of 500 events must stay under the API's
 * query cost limit, and incidents do not show them).
 */
export const SERVICE_STATUS_FIELDS = `${SERVICE_FIELDS} maintenance { id name mode endsAt } policy { budget { group } }`;

export const SERVICE_QUERY = `query MedicBotService($name: String!) { service(name: $name) { ${SERVICE_STATUS_FIELDS} } }`;
export const SERVICES_QUERY = `query MedicBotServices { services { ${SERVICE_STATUS_FIELDS} } }`;
export const DRIFT_QUERY = `query MedicBotDrift($node: String) { runtimeContract(node: $node) { path valid errors drift { ok checkedAt findings { source service field expected actual severity fix } } } }`;

export const EVENT_FIELDS = `id at service kind decision actor reason stateFrom stateTo data serviceView { ${SERVICE_FIELDS} }`;
export const EVENTS_SUBSCRIPTION = `subscription MedicBotEvents { recoveryEvents { ${EVENT_FIELDS} } }`;

/**
 * Mutation error members are read through `__typename` plus any `code`/`message` fields, so
 * the bot works with any union member that has them (the API's errors all do).
 */
const RESULT = `__typename ... on Service { name state } ... on MutationError { code message }`;

export type MutationName = 'approveRestart' | 'holdService' | 'releaseService';

const MUTATIONS: Record<MutationName, string> = {
  approveRestart: `mutation MedicBotApprove($name: String!, $reason: String!) { result: approveRestart(name: $name, reason: $reason) { ${RESULT} } }`,
  holdService: `mutation MedicBotHold($name: String!, $ttlSec: Int!, $reason: String!) { result: holdService(name: $name, ttlSec: $ttlSec, reason: $reason) { ${RESULT} } }`,
  releaseService: `mutation MedicBotRelease($name: String!, $reason: String!) { result: releaseService(name: $name, reason: $reason) { ${RESULT} } }`,
};

export type ServiceWithApproval = ServiceInfo & { approvalPending: boolean };

export class GraphqlRequestError extends Error {
  readonly code: string;
  constructor(message: string, code = 'INTERNAL') {
    super(message);
    this.code = code;
  }
}

/** The first GraphQL error of a result, with its `extensions.code` (else INTERNAL), or null. */
export function errorOf(result: Awaited<ReturnType<GraphqlFn>>): GraphqlRequestError | null {
  const first = result.errors?.[0];
  if (!first) return null;
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL';
  return new GraphqlRequestError(first.message, code);
}

export async function fetchService(gql: GraphqlFn, actor: GraphqlActor, name: string) {
  const r = await gql(SERVICE_QUERY, { name }, actor);
  const err = errorOf(r);
  if (err) throw err;
  return ((r.data as { service?: ServiceWithApproval | null } | null)?.service ??
    null) as ServiceWithApproval | null;
}

export async function fetchServices(gql: GraphqlFn, actor: GraphqlActor): Promise<ServiceWithApproval[]> {
  const r = await gql(SERVICES_QUERY, {}, actor);
  const err = errorOf(r);
  if (err) throw err;
  return ((r.data as { services?: ServiceWithApproval[] } | null)?.services ?? []) as ServiceWithApproval[];
}

export interface DriftInfo {
  path: string;
  valid: boolean;
  errors: string[];
  drift: {
    ok: boolean;
    checkedAt: string | null;
    findings: Array<{
      source: string;
      service: string | null;
      field: string;
      expected: string | null;
      actual: string | null;
      severity: string;
      fix: string | null;
    }>;
  } | null;
}

/** The runtime contract and its last drift report; `node` at the hub (an agent answers its own). */
export async function fetchDrift(
  gql: GraphqlFn,
  actor: GraphqlActor,
  node?: string,
): Promise<DriftInfo | null> {
  const r = await gql(DRIFT_QUERY, { node }, actor);
  const err = errorOf(r);
  if (err) throw err;
  return ((r.data as { runtimeContract?: DriftInfo | null } | null)?.runtimeContract ??
    null) as DriftInfo | null;
}

export type MutationOutcome =
  | { ok: true; service: { name: string; state: string } }
  | { ok: false; code: string; message: string };

/** Runs one state-changing mutation; GraphQL errors and error union members become `ok: false`. */
export async function mutate(
  gql: GraphqlFn,
  actor: GraphqlActor,
  name: MutationName,
  variables: Record<string, unknown>,
): Promise<MutationOutcome> {
  const r = await gql(MUTATIONS[name], variables, actor);
  const err = errorOf(r);
  if (err) return { ok: false, code: err.code, message: err.message };
  const result = (r.data as { result?: Record<string, unknown> } | null)?.result;
  if (!result) return { ok: false, code: 'INTERNAL', message: 'empty result' };
  if (result.__typename === 'Service') {
    return { ok: true, service: { name: String(result.name), state: String(result.state) } };
  }
  return {
    ok: false,
    code: typeof result.code === 'string' ? result.code : String(result.__typename),
    message: typeof result.message === 'string' ? result.message : String(result.__typename),
  };
}

export function parseEvent(raw: unknown): MedicEvent | null {
  if (!raw || typeof raw !== 'object') return null;
  const e = raw as Record<string, unknown>;
  if (typeof e.kind !== 'string') return null;
  return {
    id: e.id as string,
    at: (e.at as string) ?? null,
    service: (e.service as string | null) ?? null,
    kind: e.kind,
    decision: (e.decision as string | null) ?? null,
    actor: (e.actor as string | null) ?? null,
    reason: (e.reason as string | null) ?? null,
    stateFrom: (e.stateFrom as string | null) ?? null,
    stateTo: (e.stateTo as string | null) ?? null,
    data: e.data ?? null,
    view: (e.serviceView as ServiceWithApproval | null | undefined) ?? null,
  };
}

/**
 * The `events` connection's cursor for an event id. Cursors are opaque to clients in general;
 * the bot builds one from its stored id (same encoding as schema/types/event.ts).
 */
export const eventCursor = (id: number): string => Buffer.from(`event:${id}`).toString('base64url');

export const EVENTS_AFTER_QUERY = `query MedicBotEventsAfter($after: String, $first: Int) { events(after: $after, first: $first, order: asc) { edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage } } }`;
export const NEWEST_EVENT_QUERY =
  'query MedicBotNewestEvent { events(first: 1, order: desc) { edges { node { id } } } }';

interface EventsData {
  events?: { edges?: Array<{ node?: unknown }>; pageInfo?: { hasNextPage?: boolean } };
}

/** Events with id greater than `after`, oldest first (one page). */
export async function fetchEventsAfter(
  gql: GraphqlFn,
  actor: GraphqlActor,
  after: number,
  first: number,
): Promise<{ events: MedicEvent[]; hasNextPage: boolean }> {
  const r = await gql(EVENTS_AFTER_QUERY, { after: after > 0 ? eventCursor(after) : null, first }, actor);
  const err = errorOf(r);
  if (err) throw err;
  const conn = (r.data as EventsData | null)?.events;
  const events = (conn?.edges ?? [])
    .map((e) => parseEvent(e.node))
    .filter((e): e is MedicEvent => e !== null);
  return { events, hasNextPage: conn?.pageInfo?.hasNextPage === true };
}

/** The id of the newest audit event (0 when the log is empty). */
export async function fetchNewestEventId(gql: GraphqlFn, actor: GraphqlActor): Promise<number> {
  const r = await gql(NEWEST_EVENT_QUERY, {}, actor);
  const err = errorOf(r);
  if (err) throw err;
  const node = (r.data as EventsData | null)?.events?.edges?.[0]?.node as { id?: unknown } | undefined;
  const id = Number(node?.id);
  return Number.isInteger(id) ? id : 0;
}
