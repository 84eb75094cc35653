/**
 * The GraphQL operations of the hub's `/medic` command and App Home (slack-command.ts,
 * slack-home.ts). They run against the hub's own schema in-process (`yoga.fetch`, the Slack
 * user's role in the server context, which HTTP clients cannot set), so the hub's Slack surface
 * is a GraphQL client like the agent's bot: every read and mutation is authorized and audited by
 * the API, and a refusal by role is the API's `access_denied`.
 *
 * The service fields are the agent bot's (bot/graphql/ops.ts) plus `node`, so the bot's cards
 * (bot/blocks/status.ts) render a fleet service unchanged.
 */
import { errorOf, SERVICE_STATUS_FIELDS, type ServiceWithApproval } from '../../bot/graphql/ops.js';
import type { GraphqlActor, GraphqlFn } from '../../bot/types.js';

export type FleetServiceCard = ServiceWithApproval & { node: string };

export interface FleetSummary {
  nodes: { name: string; connected: boolean; counts: { state: string; count: number }[] }[];
  /** Services not healthy, at most `perState` of each state, by node and name. */
  attention: FleetServiceCard[];
  budgetGroups: { name: string; inFlight: number; maxConcurrent: number; waiting: number }[];
}

const CARD = `node ${SERVICE_STATUS_FIELDS}`;
const SERVICE = `query HubSlackService($name: String!, $node: String) { service(name: $name, node: $node) { ${CARD} } }`;
const NODES =
  'query HubSlackNodes { nodes { name connected counts { state count } } budgetGroups { name inFlight maxConcurrent waiting } }';
const BY_STATE = `query HubSlackByState($state: ServiceState!, $first: Int!) { services(state: $state, first: $first) { ${CARD} } }`;

async function run<T>(gql: GraphqlFn, actor: GraphqlActor, query: string, vars: Record<string, unknown>) {
  const r = await gql(query, vars, actor);
  const err = errorOf(r);
  if (err) throw err;
  return r.data as T;
}

export async function fleetService(gql: GraphqlFn, actor: GraphqlActor, name: string, node?: string) {
  const data = await run<{ service: FleetServiceCard | null }>(gql, actor, SERVICE, { name, node });
  return data.service;
}

/** Nodes with their counts, then up to `perState` services of each unhealthy state present. */
export async function fleetSummary(
  gql: GraphqlFn,
  actor: GraphqlActor,
  perState = 10,
): Promise<FleetSummary> {
  const data = await run<Omit<FleetSummary, 'attention'>>(gql, actor, NODES, {});
  const states = new Set(data.nodes.flatMap((n) => n.counts.filter((c) => c.count > 0).map((c) => c.state)));
  states.delete('healthy');
  const attention: FleetServiceCard[] = [];
  for (const state of [...states].sort()) {
    const page = await run<{ services: FleetServiceCard[] }>(gql, actor, BY_STATE, {
      state,
      first: perState,
    });
    attention.push(...page.services);
  }
  return { ...data, attention };
}

export type ActionKind = 'approve' | 'block' | 'release';

const MUTATION: Record<ActionKind, string> = {
  approve: 'approveRestart(name: $name, node: $node, reason: $reason)',
  block: 'holdService(name: $name, node: $node, ttlSec: $ttlSec, reason: $reason)',
  release: 'releaseService(name: $name, node: $node, reason: $reason)',
};

/** What the hub's mutation answered: the agent's result, a queued command, or a refusal. */
export type FleetOutcome =
  | { type: 'done'; node: string; state: string }
  | { type: 'pending'; node: string; commandId: number; message: string }
  | { type: 'refused'; code: string; message: string };

export async function fleetAction(
  gql: GraphqlFn,
  actor: GraphqlActor,
  kind: ActionKind,
  vars: { name: string; node?: string; reason: string; ttlSec?: number },
): Promise<FleetOutcome> {
  const args = kind === 'block' ? ', $ttlSec: Int!' : '';
  const query = `mutation HubSlack${kind}($name: String!, $node: String, $reason: String!${args}) { result: ${MUTATION[kind]} {
    __typename ... on Service { node state } ... on PendingCommand { node commandId message }
    ... on MutationError { code message } } }`;
  const data = await run<{ result: Record<string, unknown> }>(gql, actor, query, vars);
  const r = data.result;
  if (r.__typename === 'Service') return { type: 'done', node: String(r.node), state: String(r.state) };
  if (r.__typename === 'PendingCommand')
    return {
      type: 'pending',
      node: String(r.node),
      commandId: Number(r.commandId),
      message: String(r.message),
    };
  return {
    type: 'refused',
    code: String(r.code ?? r.__typename),
    message: String(r.message ?? r.__typename),
  };
}
