/**
 * The bot's maintenance operations (`/medic maintenance …`): GraphQL `scheduleMaintenance`,
 * `cancelMaintenance` and `maintenanceWindows`, run as the Slack user (the API checks the
 * operator role and audits the user as the actor), like every other bot command.
 */
import type { GraphqlActor, GraphqlFn } from '../types.js';

export interface WindowInfo {
  id: string;
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

const FIELDS = 'id mode notify services from until active reason schedule';
const RESULT = `__typename ... on MaintenanceWindow { ${FIELDS} } ... on MutationError { code message }`;

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
  },
): Promise<WindowOutcome> {
  return run(
    gql,
    actor,
    `mutation MedicBotMaintenance($services: [String!], $durationSec: Int!, $mode: MaintenanceMode!, $notify: Boolean!, $reason: String!) {
      result: scheduleMaintenance(services: $services, durationSec: $durationSec, mode: $mode, notify: $notify, reason: $reason) { ${RESULT} } }`,
    v,
  );
}

export function cancelMaintenance(
  gql: GraphqlFn,
  actor: GraphqlActor,
  id: string,
  reason: string,
): Promise<WindowOutcome> {
  return run(
    gql,
    actor,
    `mutation MedicBotCancelMaintenance($id: String!, $reason: String) { result: cancelMaintenance(id: $id, reason: $reason) { ${RESULT} } }`,
    { id, reason },
  );
}

export async function listMaintenance(gql: GraphqlFn, actor: GraphqlActor): Promise<WindowInfo[]> {
  const r = await gql(`query MedicBotMaintenanceWindows { maintenanceWindows { ${FIELDS} } }`, {}, actor);
  if (r.errors?.length) throw new Error(r.errors[0]!.message);
  return ((r.data as { maintenanceWindows?: WindowInfo[] } | null)?.maintenanceWindows ?? []) as WindowInfo[];
}
