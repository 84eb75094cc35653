/** "Release": the button's value is the release pending-action id. */
import type { App } from '@slack/bolt';
import { ACTION } from '../../blocks/actions.js';
import type { BotContext } from '../../context.js';
import { actionListener } from './button.js';

export function register(app: App, ctx: BotContext): void {
  app.action(
    ACTION.release,
    actionListener(ctx, (args, userId) => {
      const value = (args.action as { value?: string }).value;
      return value ? { kind: 'release', pendingId: value, userId } : null;
    }),
  );
}
