/**
 * `/medic`: status, approve, block, release, drift, maintenance, help. Acks at once (Slack's 3 s), then
 * answers privately. State changes go through the same path as the buttons (performAction);
 * the incident thread records them when their audit events arrive.
 */
import type { App } from '@slack/bolt';
import { driftReply } from '../../blocks/drift.js';
import { esc } from '../../blocks/format.js';
import { statusMessage } from '../../blocks/status.js';
import { type BotContext, ephemeral, replyTo } from '../../context.js';
import { fetchDrift, fetchService, fetchServices } from '../../graphql/ops.js';
import { performAction } from '../actions/perform.js';
import { maintenanceReply } from './maintenance.js';
import { parseCommand, USAGE } from './parse.js';

export function register(app: App, ctx: BotContext): void {
  app.command('/medic', async ({ ack, command, respond }) => {
    await ack();
    const target = { userId: command.user_id, channelId: command.channel_id, respond };
    const cmd = parseCommand(command.text ?? '');
    const actor = await ctx.roles.actor(command.user_id);
    try {
      switch (cmd.type) {
        case 'help':
          return await ephemeral(ctx, target, USAGE);
        case 'error':
          return await ephemeral(ctx, target, cmd.message);
        case 'status': {
          const services = cmd.service
            ? [await fetchService(ctx.graphql, actor, cmd.service)].filter((s) => s !== null)
            : await fetchServices(ctx.graphql, actor);
          if (cmd.service && services.length === 0)
            return await ephemeral(ctx, target, `No service named \`${esc(cmd.service)}\`.`);
          const msg = statusMessage(services, ctx.timeZone);
          return await ephemeral(ctx, target, msg.text, msg.blocks);
        }
        case 'maintenance': {
          const text = await maintenanceReply(ctx, actor, cmd.cmd);
          ctx.logger.info(
            { command: 'maintenance', action: cmd.cmd.action, user: command.user_id },
            'slack command',
          );
          return await ephemeral(ctx, target, text);
        }
        case 'drift':
          return await ephemeral(ctx, target, driftReply(await fetchDrift(ctx.graphql, actor)));
        default: {
          const result = await performAction(ctx, {
            kind: cmd.type,
            userId: command.user_id,
            service: cmd.service,
            ttlSec: cmd.type === 'block' ? cmd.ttlSec : undefined,
            reason: cmd.reason,
          });
          ctx.logger.info({ command: cmd.type, user: command.user_id, ok: result.ok }, 'slack command');
          return await replyTo(ctx, target, result);
        }
      }
    } catch (err) {
      ctx.logger.error({ err }, 'slack command failed');
      await ephemeral(ctx, target, 'medic could not answer that right now; see its logs.');
    }
  });
}
