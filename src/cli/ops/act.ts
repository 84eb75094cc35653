/**
 * `medic hold SERVICE --for 30m --reason …` and `medic release|approve|force|reset SERVICE
 * --reason …`: one GraphQL mutation each, so the action goes through the API's roles, the
 * engine and decide() like any other, and is audited with the token's name as the actor.
 * Exit 0 done; 1 refused (NOT_ALLOWED names the role needed, CONFLICT why nothing changed), or at
 * the fleet hub not confirmed (the node's agent did not answer within the hub's wait: the command
 * stays queued until its TTL); 2 invalid input (unknown service, bad duration, reason too long, or
 * at the hub a name several nodes run without `--node`: the message lists them).
 */
import ms from 'ms';
import { type CliIo, EXIT_INVALID, EXIT_OK, UsageError, writeLine } from '../io.js';
import {
  type MutationOutcome,
  OpsError,
  type OpsTarget,
  OUTCOME_FIELDS,
  refusal,
  request,
} from './client.js';

export type Action = 'hold' | 'release' | 'approve' | 'force' | 'reset';

const FIELD: Record<Action, string> = {
  hold: 'holdService(node: $node, name: $name, reason: $reason, ttlSec: $ttlSec)',
  release: 'releaseService(node: $node, name: $name, reason: $reason)',
  approve: 'approveRestart(node: $node, name: $name, reason: $reason)',
  force: 'forceRestart(node: $node, name: $name, reason: $reason)',
  reset: 'resetCircuit(node: $node, name: $name, reason: $reason)',
};

const DONE: Record<Action, string> = {
  hold: 'held',
  release: 'released',
  approve: 'approved one probe restart of',
  force: 'forced a restart of',
  reset: 'reset the circuit of',
};

/** `--for` as whole seconds: `30m`, `2h`, `1d`, `90s` (the `ms` package's grammar). */
export function durationSec(text: string): number {
  const parsed = /^\d+$/.test(text.trim()) ? Number(text) * 1000 : ms(text as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 1000) {
    throw new UsageError(`--for takes a duration such as 90s, 30m, 2h or 1d (got '${text}')`);
  }
  return Math.round(parsed / 1000);
}

interface Outcome extends MutationOutcome {
  name?: string;
  node?: string;
  state?: string;
  hold?: { until: string } | null;
}

export async function act(
  target: OpsTarget,
  action: Action,
  name: string,
  opts: { reason: string; for?: string; node?: string },
  io: CliIo,
): Promise<number> {
  const reason = opts.reason.trim();
  if (!reason) throw new UsageError('--reason must not be empty (it is recorded in the audit log)');
  const hold = action === 'hold';
  if (hold && !opts.for) throw new UsageError('hold needs --for DURATION (e.g. --for 30m)');
  const variables: Record<string, unknown> = { name, reason, node: opts.node ?? null };
  if (hold) variables.ttlSec = durationSec(opts.for!);
  const query = `mutation($node: String, $name: String!, $reason: String!${hold ? ', $ttlSec: Int!' : ''}) {
    result: ${FIELD[action]} {
      __typename
      ... on Service { node name state hold { until } }
      ${OUTCOME_FIELDS}
    } }`;
  const data = await request<{ result: Outcome }>(target, query, variables);
  const refused = refusal(data.result, null);
  if (refused) throw refused;
  const r = data.result;
  if (!r.name) throw new OpsError(`unexpected answer ${JSON.stringify(r)}`, EXIT_INVALID);
  writeLine(io.stdout, `${DONE[action]} ${r.name}: now ${r.state}${r.hold ? ` until ${r.hold.until}` : ''}`);
  return EXIT_OK;
}
