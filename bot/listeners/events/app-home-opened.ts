/** App Home: publish the services that need attention, with their pending actions as buttons. */
import type { App } from '@slack/bolt';
import type { BotContext } from '../../context.js';

export function register(app: App, ctx: BotContext): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await ctx.publishHome(event.user);
  });
}
