/**
 * `/medic` at the hub (any replica): the agent bot's commands for the fleet, a service named
 * `node/service` (or by name alone when one node runs it; several → the nodes are listed).
 *
 * - `status` (the fleet: nodes, services by state, waiting budget groups, the services needing
 *   attention), `status <node>/<service>`, `drift <node>`, `help`: answered in the request's own
 *   response (ephemeral), within Slack's 3 s.
 * - `approve`, `block <ttl>`, `release`: acknowledged at once; the hub mutation then runs as the
 *   user (role-checked and audited by the API; a viewer's attempt is its `access_denied`), waits
 *   the hub's bounded time for the node's answer, and the result — done, refused, or queued as
 *   command #N (pending: the node has not answered yet) — goes to the user through `response_url`.
 *   A command's later result also updates the service's open incident message (slack-services.ts).
 * - `maintenance … [node=NODE]`: the agent bot's syntax plus the node whose window it is (left out:
 *   the node that runs the named services, or the only node). `list` is answered at once; a new
 *   window or a cancel is acknowledged, then answered through `response_url` when the node's agent
 *   has run it (or queued as a pending command).
 */
import { driftReply } from '../../bot/blocks/drift.js';
import { esc } from '../../bot/blocks/format.js';
import { fetchDrift, GraphqlRequestError } from '../../bot/graphql/ops.js';
import { maintenanceReply } from '../../bot/listeners/commands/maintenance.js';
import { parseCommand, USAGE } from '../../bot/listeners/commands/parse.js';
import type { GraphqlActor, GraphqlFn } from '../../bot/types.js';
import { cardOf, fleetStatusMessage } from './slack-fleet-blocks.js';
import { type FleetOutcome, fleetAction, fleetService, fleetSummary } from './slack-ops.js';

const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const HUB_USAGE = `${USAGE.replace(/<service>/g, '<node>/<service>').replace(/\[service\]/g, '[<node>/<service>]')}
At the hub a service is \`node/service\`; the name alone works when one node runs it. \`/medic drift <node>\` for one node's contract; \`/medic maintenance … node=NODE\` for a node's window.`;

/** An ephemeral answer: the text and optional blocks. */
export interface Answer {
  text: string;
  blocks?: unknown[];
}

export interface CommandDeps {
  graphql: GraphqlFn;
  actor: GraphqlActor;
  timeZone: string;
  /** Later answers (the mutation's outcome) to the user through the command's `response_url`. */
  followUp(text: string): Promise<void>;
}

/** `node/service` → both; a bare name → the service alone. Null: a bad node name. */
export function splitTarget(word: string): { node?: string; service: string } | null {
  const slash = word.indexOf('/');
  if (slash < 0) return { service: word };
  const node = word.slice(0, slash);
  return NODE.test(node) ? { node, service: word.slice(slash + 1) } : null;
}

const outcomeText = (kind: string, who: string, o: FleetOutcome): string => {
  if (o.type === 'done')
    return `:white_check_mark: ${kind} *${who}*: done on *${o.node}* (now \`${o.state}\`).`;
  if (o.type === 'pending')
    return `:hourglass: ${kind} *${who}*: queued as command #${o.commandId}; *${o.node}* has not answered yet (${esc(o.message)}). The incident message shows the result when it comes.`;
  return `:no_entry: ${kind} *${who}*: ${o.code} — ${esc(o.message)}`;
};

/**
 * Answers one `/medic` text. The returned answer goes in the HTTP response; a mutation's outcome
 * follows through `deps.followUp` (the returned promise `later` settles when it was sent).
 */
export async function answerCommand(
  text: string,
  deps: CommandDeps,
): Promise<{ now: Answer; later?: Promise<void> }> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = (words[0] ?? 'help').toLowerCase();
  if (verb === 'drift') return { now: await drift(deps, words[1]) };
  if (verb === 'maintenance') return maintenance(deps, words.slice(1));
  const target = words[1] === undefined ? undefined : splitTarget(words[1]);
  if (target === null) return { now: { text: `Bad node name in \`${esc(words[1]!)}\`.` } };
  const cmd = parseCommand(
    [verb, target?.service, ...words.slice(2)].filter((w) => w !== undefined).join(' '),
  );
  const node = target?.node;
  switch (cmd.type) {
    case 'help':
      return { now: { text: HUB_USAGE } };
    case 'error':
      return { now: { text: cmd.message.replace(USAGE, HUB_USAGE) } };
    case 'status': {
      if (!cmd.service) {
        const msg = fleetStatusMessage(await fleetSummary(deps.graphql, deps.actor), deps.timeZone);
        return { now: { text: msg.text, blocks: msg.blocks } };
      }
      const s = await lookup(deps, cmd.service, node);
      if (typeof s === 'string') return { now: { text: s } };
      return { now: { text: `${s.node}/${s.name}: ${s.state}`, blocks: [cardOf(s, deps.timeZone)] } };
    }
    case 'approve':
    case 'block':
    case 'release': {
      const who = node ? `${node}/${cmd.service}` : cmd.service;
      const reason =
        cmd.reason?.trim() || `${cmd.type} from Slack by ${deps.actor.id.replace(/^slack:/, '')}`;
      const vars = {
        name: cmd.service,
        node,
        reason,
        ...(cmd.type === 'block' ? { ttlSec: cmd.ttlSec } : {}),
      };
      const later = fleetAction(deps.graphql, deps.actor, cmd.type, vars)
        .then((o) => deps.followUp(outcomeText(cmd.type, who, o)))
        .catch((err) => deps.followUp(`:warning: ${cmd.type} *${who}*: ${esc((err as Error).message)}`));
      return { now: { text: `Sending ${cmd.type} for *${who}* to its node…` }, later };
    }
    default:
      return { now: { text: `\`/medic ${verb}\` is not available at the hub.\n${HUB_USAGE}` } };
  }
}

async function maintenance(
  deps: CommandDeps,
  words: string[],
): Promise<{ now: Answer; later?: Promise<void> }> {
  const nodeWord = words.find((w) => w.startsWith('node='));
  const node = nodeWord?.slice('node='.length);
  if (node !== undefined && !NODE.test(node))
    return { now: { text: `Bad node name in \`${esc(nodeWord!)}\`.` } };
  const cmd = parseCommand(['maintenance', ...words.filter((w) => w !== nodeWord)].join(' '));
  if (cmd.type !== 'maintenance')
    return {
      now: { text: cmd.type === 'error' ? `${cmd.message} At the hub add \`node=NODE\`.` : HUB_USAGE },
    };
  if (cmd.cmd.action === 'list')
    return { now: { text: await maintenanceReply(deps, deps.actor, cmd.cmd, node) } };
  const later = maintenanceReply(deps, deps.actor, cmd.cmd, node)
    .then((t) => deps.followUp(t))
    .catch((err) => deps.followUp(`:warning: maintenance: ${esc((err as Error).message)}`));
  return {
    now: {
      text: `Sending the maintenance ${cmd.cmd.action === 'cancel' ? 'cancel' : 'window'} to ${node ? `*${node}*` : 'its node'}…`,
    },
    later,
  };
}

async function lookup(deps: CommandDeps, name: string, node?: string) {
  try {
    return (
      (await fleetService(deps.graphql, deps.actor, name, node)) ??
      `No service \`${esc(name)}\`${node ? ` on *${node}*` : ''}.`
    );
  } catch (err) {
    if (err instanceof GraphqlRequestError && err.code !== 'INTERNAL')
      return `${err.code}: ${esc(err.message)}`;
    throw err;
  }
}

async function drift(deps: CommandDeps, node?: string): Promise<Answer> {
  try {
    const none = `${node ? `*${node}*` : 'The node'} runs without a runtime contract (or has not shipped it).`;
    return { text: driftReply(await fetchDrift(deps.graphql, deps.actor, node), none) };
  } catch (err) {
    if (err instanceof GraphqlRequestError && err.code !== 'INTERNAL')
      return { text: `${err.code}: ${esc(err.message)}` };
    throw err;
  }
}
