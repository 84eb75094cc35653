/**
 * `/medic maintenance …`: ad hoc maintenance windows from Slack, over GraphQL as the user
 * (operator role, audited with `slack:<user>` as the actor).
 * - `/medic maintenance 2h [services=api,db] [mode=shadow] [notify] [reason…]` — a window from now
 *   (`notify`: escalations and new incidents during it are sent, marked; else suppressed);
 * - `/medic maintenance list` — windows in force or to come;
 * - `/medic maintenance cancel <id> [reason…]` — end an ad hoc window now.
 */
import { esc } from '../../blocks/format.js';
import type { BotContext } from '../../context.js';
import {
  cancelMaintenance,
  listMaintenance,
  scheduleMaintenance,
  type WindowInfo,
} from '../../graphql/maintenance.js';
import type { GraphqlActor } from '../../types.js';
import type { MaintenanceCommand } from './parse.js';

const servicesOf = (w: WindowInfo) => (w.services ? w.services.join(', ') : 'all services');

/**
 * The private answer to one maintenance command. `node` (the hub's `/medic`) names the node whose
 * window it is; windows of several nodes are listed with their node, and cancel hints name it.
 */
export async function maintenanceReply(
  ctx: Pick<BotContext, 'graphql'>,
  actor: GraphqlActor,
  cmd: MaintenanceCommand,
  node?: string,
): Promise<string> {
  if (cmd.action === 'list') {
    const list = await listMaintenance(ctx.graphql, actor, node);
    if (list.length === 0) return 'No maintenance windows now or to come.';
    const several = new Set(list.map((w) => w.node)).size > 1;
    return list
      .map(
        (w) =>
          `• \`${w.id}\`${several ? ` on *${esc(w.node)}*` : ''} *${w.mode}* ${w.active ? 'now' : 'next'} for ${esc(servicesOf(w))}: ${w.from ?? '?'} → ${w.until ?? '?'}` +
          `${w.schedule ? ` (${esc(w.schedule)})` : w.reason ? ` — ${esc(w.reason)}` : ''}`,
      )
      .join('\n');
  }
  const r =
    cmd.action === 'cancel'
      ? await cancelMaintenance(ctx.graphql, actor, cmd.id, cmd.reason ?? 'cancelled from Slack', node)
      : await scheduleMaintenance(ctx.graphql, actor, {
          services: cmd.services,
          durationSec: cmd.durationSec,
          mode: cmd.mode,
          notify: cmd.notify,
          reason: cmd.reason ?? 'maintenance (Slack)',
          node,
        });
  if (!r.ok && r.code === 'PENDING') return `:hourglass: ${esc(r.message)}`;
  if (!r.ok) return `:no_entry: ${esc(r.message)}`;
  const w = r.window;
  return cmd.action === 'cancel'
    ? `:white_check_mark: Maintenance window \`${w.id}\` cancelled: ${esc(servicesOf(w))} handed back to their policy.`
    : `:wrench: Maintenance window \`${w.id}\` (${w.mode}${w.notify ? ', notify' : ''}) for ${esc(servicesOf(w))} until ${w.until}. ` +
        (w.notify
          ? 'Incidents and escalations during it are sent, marked as maintenance. '
          : 'Incidents and escalations during it are suppressed. ') +
        `Cancel it with \`/medic maintenance cancel ${w.id}${node ? ` node=${w.node}` : ''}\`.`;
}
