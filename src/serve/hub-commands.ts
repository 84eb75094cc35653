/**
 * Runs a hub command on this agent (issue 15) as the agent's own GraphQL mutation, in-process,
 * for the hub's actor (`hub:<actor>`) with the role the hub granted: the API's role check,
 * reason validation, engine, decide() and audit all apply exactly as for a local operator, and
 * the audit event names the hub command (`data.hubCommand`). The mutation's result (the Service,
 * or a typed error) becomes the command's result.
 */
import type { YogaLike } from '../../bot/graphql/transport.js';
import type { Principal } from '../api/schema/ports.js';
import type { CommandResult, FleetCommand } from '../fleet/protocol.js';

const MUTATION = {
  holdService:
    'mutation($name: String!, $reason: String!, $ttlSec: Int!) { r: holdService(name: $name, reason: $reason, ttlSec: $ttlSec) { ...R } }',
  releaseService:
    'mutation($name: String!, $reason: String!) { r: releaseService(name: $name, reason: $reason) { ...R } }',
  approveRestart:
    'mutation($name: String!, $reason: String!) { r: approveRestart(name: $name, reason: $reason) { ...R } }',
  forceRestart:
    'mutation($name: String!, $reason: String!) { r: forceRestart(name: $name, reason: $reason) { ...R } }',
  resetCircuit:
    'mutation($name: String!, $reason: String!) { r: resetCircuit(name: $name, reason: $reason) { ...R } }',
  // Node-wide: no service, no reason argument (the hub records its own reason).
  checkDrift:
    'mutation { r: checkDrift { __typename ... on DriftReport { ok checkedAt findings { source service field expected actual severity fix } } ... on MutationError { code message } } }',
} as const;

const FRAGMENT =
  'fragment R on ServiceResult { __typename ... on Service { state } ... on MutationError { code message } }';

type Report = NonNullable<CommandResult['drift']>;

interface Answer {
  data?: {
    r?: { __typename: string; state?: string; code?: string; message?: string } & Partial<Report>;
  };
  errors?: { message: string }[];
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
  const nodeWide = command.operation === 'checkDrift';
  const variables = nodeWide ? {} : { name: command.service, reason: command.reason, ...command.args };
  const query = nodeWide ? MUTATION[command.operation] : `${MUTATION[command.operation]} ${FRAGMENT}`;
  const res = await yoga.fetch(
    new URL('http://medic.local/graphql'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
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
  const ok = r.__typename === (nodeWide ? 'DriftReport' : 'Service');
  return {
    id: command.id,
    at,
    ok,
    type: r.__typename,
    code: ok ? null : (r.code ?? null),
    message: ok ? null : (r.message ?? null),
    state: r.state ?? null,
    ...(nodeWide && ok ? { drift: { ok: r.ok!, checkedAt: r.checkedAt!, findings: r.findings! } } : {}),
  };
}
