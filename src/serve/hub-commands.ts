/**
 * Runs a hub command on this agent (issue 15) as the agent's own GraphQL mutation, in-process,
 * for the hub's actor (`hub:<actor>`) with the role the hub granted: the API's role check,
 * reason validation, engine, decide() (or drift check, or maintenance window) and audit all apply
 * exactly as for a local operator, and the audit event names the hub command (`data.hubCommand`).
 * The mutation's result (the Service, DriftReport or MaintenanceWindow, or a typed error) becomes
 * the command's result; node-wide operations carry theirs up (`drift`, `window`).
 */
import type { YogaLike } from '../../bot/graphql/transport.js';
import type { Principal } from '../api/schema/ports.js';
import type { ShippedWindow } from '../fleet/maintenance.js';
import type { CommandOperation, CommandResult, FleetCommand } from '../fleet/protocol.js';

const SERVICE_RESULT =
  '{ ...R } } fragment R on ServiceResult { __typename ... on Service { state } ... on MutationError { code message } }';
const WINDOW =
  '{ __typename ... on MaintenanceWindow { id node name source services mode notify reason actor schedule timezone from until active } ... on MutationError { code message } } }';

/** Per operation: the mutation, its success type, and where its arguments come from. */
const OPERATIONS: Record<CommandOperation, { query: string; ok: string; nodeWide?: true }> = {
  holdService: {
    query: `mutation($name: String!, $reason: String!, $ttlSec: Int!) { r: holdService(name: $name, reason: $reason, ttlSec: $ttlSec) ${SERVICE_RESULT}`,
    ok: 'Service',
  },
  releaseService: {
    query: `mutation($name: String!, $reason: String!) { r: releaseService(name: $name, reason: $reason) ${SERVICE_RESULT}`,
    ok: 'Service',
  },
  approveRestart: {
    query: `mutation($name: String!, $reason: String!) { r: approveRestart(name: $name, reason: $reason) ${SERVICE_RESULT}`,
    ok: 'Service',
  },
  forceRestart: {
    query: `mutation($name: String!, $reason: String!) { r: forceRestart(name: $name, reason: $reason) ${SERVICE_RESULT}`,
    ok: 'Service',
  },
  resetCircuit: {
    query: `mutation($name: String!, $reason: String!) { r: resetCircuit(name: $name, reason: $reason) ${SERVICE_RESULT}`,
    ok: 'Service',
  },
  // Node-wide: no `name`; checkDrift takes no reason (the hub records its own).
  checkDrift: {
    query:
      'mutation { r: checkDrift { __typename ... on DriftReport { ok checkedAt findings { source service field expected actual severity fix } } ... on MutationError { code message } } }',
    ok: 'DriftReport',
    nodeWide: true,
  },
  scheduleMaintenance: {
    query: `mutation($services: [String!], $from: DateTime, $until: DateTime, $durationSec: Int, $mode: MaintenanceMode, $notify: Boolean, $reason: String!) {
      r: scheduleMaintenance(services: $services, from: $from, until: $until, durationSec: $durationSec, mode: $mode, notify: $notify, reason: $reason) ${WINDOW}`,
    ok: 'MaintenanceWindow',
    nodeWide: true,
  },
  cancelMaintenance: {
    query: `mutation($id: String!, $reason: String) { r: cancelMaintenance(id: $id, reason: $reason) ${WINDOW}`,
    ok: 'MaintenanceWindow',
    nodeWide: true,
  },
};

type Report = NonNullable<CommandResult['drift']>;
type Answered = { __typename: string; state?: string; code?: string; message?: string } & Partial<Report> &
  Partial<ShippedWindow>;

interface Answer {
  data?: { r?: Answered };
  errors?: { message: string }[];
}

/** The variables of the command's mutation: its args, its reason, and `name` for a service's. */
function variablesOf(command: FleetCommand): Record<string, unknown> {
  if (command.operation === 'checkDrift') return {};
  const own = OPERATIONS[command.operation].nodeWide ? {} : { name: command.service };
  return { ...command.args, ...own, reason: command.reason };
}

/** What a taken node-wide command carries up besides its type. */
function payload(command: FleetCommand, r: Answered): Partial<CommandResult> {
  if (command.operation === 'checkDrift')
    return { drift: { ok: r.ok!, checkedAt: r.checkedAt!, findings: r.findings! } };
  if (command.operation === 'scheduleMaintenance' || command.operation === 'cancelMaintenance') {
    const {
      __typename: _t,
      state: _s,
      code: _c,
      message: _m,
      ok: _o,
      checkedAt: _a,
      findings: _f,
      ...window
    } = r;
    return { window: window as ShippedWindow };
  }
  return {};
}

export async function runHubCommand(
  yoga: YogaLike,
  command: FleetCommand,
  now: () => number,
): Promise<CommandResult> {
  const principal: Principal = {
    name: `hub:${command.actor}`,
    role: command.role,
    via: 'hub',
    hubCommand: command.id,
  };
  const spec = OPERATIONS[command.operation];
  const res = await yoga.fetch(
    new URL('http://medic.local/graphql'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: spec.query, variables: variablesOf(command) }),
    },
    { principal },
  );
  const answer = (await res.json()) as Answer;
  const r = answer.data?.r;
  const at = now();
  if (!r) {
    const message = answer.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`;
    return {
      id: command.id,
      at,
      ok: false,
      type: 'Error',
      code: 'GRAPHQL',
      message: message.slice(0, 2000),
      state: null,
    };
  }
  const ok = r.__typename === spec.ok;
  return {
    id: command.id,
    at,
    ok,
    type: r.__typename,
    code: ok ? null : (r.code ?? null),
    message: ok ? null : (r.message ?? null),
    state: r.state ?? null,
    ...(ok ? payload(command, r) : {}),
  };
}
