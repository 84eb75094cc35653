/**
 * The bot's maintenance operations (`/medic maintenance …`): GraphQL `scheduleMaintenance`,
 * `cancelMaintenance` and `maintenanceWindows`, run as the Slack user (the API checks the
 * operator role and audits the user as the actor), like every other bot command.
 */
import type { GraphqlActor, GraphqlFn } from '../types.js';

export interface WindowInfo {
  id: string;
  /** The node whose window it is (at the hub: one of many). */
  node: string;
  mode: string;
  notify: boolean;
  services: string[] | null;
  from: string | null;
  until: string | null;
  active: boolean;
  reason: string | null;
  schedule: string | null;
}

export type WindowOutcome = { ok: true; window: WindowInfo } | { ok: false; code: string; message: string };

const FIELDS = 'id node mode notify services from until active reason schedule';
// At the hub the answer may be a command its node has not answered yet (PendingCommand).
const RESULT = `__typename ... on MaintenanceWindow { ${FIELDS} } ... on MutationError { code message } ... on PendingCommand { message }`;

async function run(gql: GraphqlFn, actor: GraphqlActor, query: string, vars: Record<string, unknown>) {
  const r = await gql(query, vars, actor);
  const first = r.errors?.[0];
  if (first) {
    const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL';
    return { ok: false as const, code, message: first.message };
  }
  const result = (r.data as { result?: Record<string, unknown> } | null)?.result;
  if (!result) return { ok: false as const, code: 'INTERNAL', message: 'empty result' };
  if (result.__typename === 'MaintenanceWindow')
    return { ok: true as const, window: result as unknown as WindowInfo };
  if (result.__typename === 'PendingCommand')
    return { ok: false as const, code: 'PENDING', message: String(result.message ?? '') };
  return {
    ok: false as const,
    code: String(result.code ?? result.__typename),
    message: String(result.message ?? ''),
  };
}

export function scheduleMaintenance(
  gql: GraphqlFn,
  actor: GraphqlActor,
  v: {
    services: string[] | null;
    durationSec: number;
    mode: 'hold' | 'shadow';
    notify: boolean;
    reason: string;
    /** The node whose window it is (at the hub; an agent refuses another node's name). */
    node?: string;
  },
): Promise<WindowOutcome> {
  return run(
    gql,
    actor,
    `mutation MedicBotMaintenance($services: [String!], $durationSec: Int!, $mode: MaintenanceMode!, $notify: Boolean!, $reason: String!, $node: String) {
      result: scheduleMaintenance(services: $services, durationSec: $durationSec, mode: $mode, notify: $notify, reason: $reason, node: $node) { ${RESULT} } }`,
    v,
  );
}

export function cancelMaintenance(
  gql: GraphqlFn,
  actor: GraphqlActor,
  id: string,
  reason: string,
  node?: string,
): Promise<WindowOutcome> {
  return run(
    gql,
    actor,
    `mutation MedicBotCancelMaintenance($id: String!, $reason: String, $node: String) { result: cancelMaintenance(id: $id, reason: $reason, node: $node) { ${RESULT} } }`,
    { id, reason, node },
  );
}

export async function listMaintenance(
  gql: GraphqlFn,
  actor: GraphqlActor,
  node?: string,
): Promise<WindowInfo[]> {
  const r = await gql(
    `query MedicBotMaintenanceWindows($node: String) { maintenanceWindows(node: $node) { ${FIELDS} } }`,
    { node },
    actor,
  );
  if (r.errors?.length) throw new Error(r.errors[0]!.message);
  return ((r.data as { maintenanceWindows?: WindowInfo[] } | null)?.maintenanceWindows ?? []) as WindowInfo[];
}
