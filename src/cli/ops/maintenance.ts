/**
 * `medic maintenance add|list|cancel [--node NODE]`: ad hoc maintenance windows over the API
 * (GraphQL `scheduleMaintenance`, `maintenanceWindows`, `cancelMaintenance`), audited with the
 * token's name — against an agent, or the fleet hub (MEDIC_URL = the hub), where add and cancel
 * are commands to that node's agent. Exit 0 done; 1 refused (NOT_ALLOWED, CONFLICT), or at the
 * hub not confirmed (the node's agent did not answer within the hub's wait: the command stays
 * queued until its TTL; `not confirmed: command N is pending ...`); 2 invalid input, or at the hub
 * a window for services on several nodes, or several nodes and no `--node` (the message lists them).
 */
import type { WindowView } from '../../api/schema/shared/maintenance.js';
import { type CliIo, EXIT_INVALID, EXIT_OK, UsageError, writeLine } from '../io.js';
import { durationSec } from './act.js';
import {
  type MutationOutcome,
  OpsError,
  type OpsTarget,
  OUTCOME_FIELDS,
  refusal,
  request,
} from './client.js';
import { table } from './format.js';

const WINDOW = 'id node name source services mode notify reason actor schedule timezone from until active';

/** A window as the API answers it (the one type of agent and hub). */
type Window = WindowView;

type Outcome = MutationOutcome & Partial<Window>;

const RESULT = `__typename ... on MaintenanceWindow { ${WINDOW} } ${OUTCOME_FIELDS} ... on ValidationError { field }`;

function checked(r: Outcome): Window {
  const refused = refusal(r.__typename === 'MaintenanceWindow' ? { ...r, __typename: 'Service' } : r, null);
  if (refused) throw refused;
  if (!r.id) throw new OpsError(`unexpected answer ${JSON.stringify(r)}`, EXIT_INVALID);
  return r as Window;
}

function time(text: string, flag: string): string {
  if (Number.isNaN(Date.parse(text)))
    throw new UsageError(`${flag} takes an ISO time such as 2026-05-01T22:00:00Z (got '${text}')`);
  return text;
}

const servicesOf = (w: Window) => (w.services ? w.services.join(',') : 'all');

/** " on node-b" when the caller named a node (the fleet hub), so the id is read with its node. */
const onNode = (w: Window, node: string | undefined) => (node ? ` on ${w.node}` : '');

export async function addWindow(
  target: OpsTarget,
  flags: {
    services?: string;
    for?: string;
    until?: string;
    from?: string;
    mode?: string;
    reason?: string;
    notify?: boolean;
    node?: string;
  },
  io: CliIo,
): Promise<number> {
  const reason = String(flags.reason ?? '').trim();
  if (!reason) throw new UsageError('--reason must not be empty (it is recorded in the audit log)');
  if ((flags.for === undefined) === (flags.until === undefined))
    throw new UsageError('give one of --for DURATION and --until TIME');
  const mode = flags.mode ?? 'hold';
  if (mode !== 'hold' && mode !== 'shadow') throw new UsageError(`--mode is hold or shadow (got '${mode}')`);
  const services = flags.services
    ? flags.services
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  const variables: Record<string, unknown> = {
    services,
    reason,
    mode,
    notify: flags.notify === true,
    from: flags.from ? time(flags.from, '--from') : null,
    until: flags.until ? time(flags.until, '--until') : null,
    durationSec: flags.for ? durationSec(flags.for) : null,
    node: flags.node ?? null,
  };
  const data = await request<{ result: Outcome }>(
    target,
    `mutation($services: [String!], $from: DateTime, $until: DateTime, $durationSec: Int, $mode: MaintenanceMode, $notify: Boolean, $reason: String!, $node: String) {
      result: scheduleMaintenance(services: $services, from: $from, until: $until, durationSec: $durationSec, mode: $mode, notify: $notify, reason: $reason, node: $node) { ${RESULT} } }`,
    variables,
  );
  const w = checked(data.result);
  writeLine(
    io.stdout,
    `scheduled ${w.id}${onNode(w, flags.node)} (${w.mode}${w.notify ? ', notify' : ''}) for ${servicesOf(w)}: ${w.from} → ${w.until}`,
  );
  return EXIT_OK;
}

export async function listWindows(
  target: OpsTarget,
  flags: { json?: boolean; node?: string; service?: string },
  io: CliIo,
): Promise<number> {
  const data = await request<{ maintenanceWindows: Window[] }>(
    target,
    `query($node: String, $service: String) { maintenanceWindows(node: $node, service: $service) { ${WINDOW} } }`,
    { node: flags.node ?? null, service: flags.service ?? null },
  );
  const list = data.maintenanceWindows;
  if (flags.json) {
    writeLine(io.stdout, JSON.stringify(list, null, 2));
    return EXIT_OK;
  }
  if (list.length === 0) {
    writeLine(io.stdout, 'no maintenance windows now or to come');
    return EXIT_OK;
  }
  // A NODE column when the windows span several nodes (the fleet hub).
  const several = new Set(list.map((w) => w.node)).size > 1;
  const rows = list.map((w) => [
    ...(several ? [w.node] : []),
    w.id,
    w.mode,
    w.active ? 'now' : 'next',
    servicesOf(w),
    w.from ?? '-',
    w.until ?? '-',
    w.schedule ? `${w.schedule} ${w.timezone}` : `${w.reason ?? ''} (${w.actor ?? ''})`,
  ]);
  const head = ['ID', 'MODE', 'WHEN', 'SERVICES', 'FROM', 'UNTIL', 'SCHEDULE / REASON'];
  for (const line of table(several ? ['NODE', ...head] : head, rows)) writeLine(io.stdout, line);
  return EXIT_OK;
}

export async function cancelWindow(
  target: OpsTarget,
  id: string,
  flags: { reason?: string; node?: string },
  io: CliIo,
): Promise<number> {
  const data = await request<{ result: Outcome }>(
    target,
    `mutation($id: String!, $reason: String, $node: String) { result: cancelMaintenance(id: $id, reason: $reason, node: $node) { ${RESULT} } }`,
    { id, reason: flags.reason?.trim() || null, node: flags.node ?? null },
  );
  const w = checked(data.result);
  writeLine(
    io.stdout,
    `cancelled ${w.id}${onNode(w, flags.node)}: its services are handed back to their policy now`,
  );
  return EXIT_OK;
}
