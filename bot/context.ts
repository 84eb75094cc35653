/** What every listener gets: configuration, the GraphQL client, store, Slack client, tracker. */
import type { App, RespondFn } from '@slack/bolt';
import type { Logger } from '../src/log.js';
import type { IncidentTracker } from './incidents/tracker.js';
import type { ActionContext, ActionResult } from './listeners/actions/perform.js';

export interface BotContext extends ActionContext {
  logger: Logger;
  tracker: IncidentTracker;
  client: App['client'];
  /** Re-renders a user's App Home. */
  publishHome(userId: string): Promise<void>;
}

/** The bits of an interaction body the bot answers to. */
export interface ReplyTarget {
  userId: string;
  channelId?: string;
  /** 'home' when the click came from App Home. */
  viewType?: string;
  respond?: RespondFn;
}

/**
 * Tells the user how their action went, privately: through response_url when the request
 * has one, else chat.postEphemeral in the channel; App Home is re-published instead.
 * Outdated or refused clicks also refresh the incident message so it shows the truth.
 */
export async function replyTo(ctx: BotContext, target: ReplyTarget, result: ActionResult): Promise<void> {
  if (result.service && !result.ok && (result.code === 'USED' || result.code === 'NOT_APPLICABLE')) {
    void ctx.tracker.refresh(result.service);
  }
  if (target.viewType === 'home') {
    await ctx.publishHome(target.userId);
    if (result.ok) return;
  }
  await ephemeral(ctx, target, result.message);
}

export async function ephemeral(
  ctx: BotContext,
  target: ReplyTarget,
  text: string,
  blocks?: unknown[],
): Promise<void> {
  try {
    if (target.respond) {
      await target.respond({
        response_type: 'ephemeral',
        replace_original: false,
        text,
        ...(blocks ? { blocks: blocks as never } : {}),
      });
    } else if (target.channelId) {
      await ctx.client.chat.postEphemeral({
        channel: target.channelId,
        user: target.userId,
        text,
        ...(blocks ? { blocks: blocks as never } : {}),
      });
    }
  } catch (err) {
    ctx.logger.warn({ err }, 'slack ephemeral reply failed');
  }
}
