/** "Block auto-restart" (static select): the option value is `<pending id>:<ttl seconds>`. */
import type { App } from '@slack/bolt';
import { ACTION, parseBlockValue } from '../../blocks/actions.js';
import type { BotContext } from '../../context.js';
import { actionListener } from './button.js';

export function register(app: App, ctx: BotContext): void {
  app.action(
    ACTION.block,
    actionListener(ctx, (args, userId) => {
      const value = (args.action as { selected_option?: { value?: string } }).selected_option?.value;
      const parsed = value ? parseBlockValue(value) : null;
      return parsed ? { kind: 'block', pendingId: parsed.pendingId, ttlSec: parsed.ttlSec, userId } : null;
    }),
  );
}
