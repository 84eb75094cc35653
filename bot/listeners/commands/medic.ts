/**
 * `/medic`: status, approve, block, release, drift, maintenance, help. Acks at once (Slack's 3 s), then
 * answers privately. State changes go through the same path as the buttons (performAction);
 * the incident thread records them when their audit events arrive.
 */
import type { App } from '@slack/bolt';
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
        case 'drift': {
          const contract = await fetchDrift(ctx.graphql, actor);
          const drift = contract?.drift;
          if (!contract) return await ephemeral(ctx, target, 'No runtime contract is configured.');
          if (!drift)
            return await ephemeral(
              ctx,
              target,
              `Contract \`${esc(contract.path)}\`: no drift check has run yet.`,
            );
          if (drift.ok)
            return await ephemeral(ctx, target, `:white_check_mark: No drift (checked ${drift.checkedAt}).`);
          const lines = drift.findings
            .slice(0, 40)
            .map(
              (f) =>
                `• *${f.source}* ${esc(f.service ?? '')} \`${esc(f.field)}\`: expected \`${esc(String(f.expected))}\`, actual \`${esc(String(f.actual))}\`${f.fix ? ` — fix: \`${f.fix}\`` : ''}`,
            );
          const more =
            drift.findings.length > 40
              ? `\n…and ${drift.findings.length - 40} more (\`medic contract check\`).`
              : '';
          return await ephemeral(
            ctx,
            target,
            `:warning: ${drift.findings.length} drift findings:\n${lines.join('\n')}${more}`.slice(0, 3000),
          );
        }
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
