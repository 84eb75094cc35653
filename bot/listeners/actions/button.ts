/** Shared shape of the three action listeners: ack first, then perform and reply privately. */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { type BotContext, replyTo } from '../../context.js';
import { type ActionRequest, performAction } from './perform.js';

export type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;

export function targetOf(args: ActionArgs) {
  const body = args.body as {
    user: { id: string };
    channel?: { id?: string };
    container?: { channel_id?: string };
    view?: { type?: string };
  };
  return {
    userId: body.user.id,
    channelId: body.channel?.id ?? body.container?.channel_id,
    viewType: body.view?.type,
    respond: (args.body as { response_url?: string }).response_url ? args.respond : undefined,
  };
}

/** Builds a listener that turns the clicked element into an ActionRequest (null = ignore). */
export function actionListener(
  ctx: BotContext,
  toRequest: (args: ActionArgs, userId: string) => ActionRequest | null,
): (args: ActionArgs) => Promise<void> {
  return async (args) => {
    await args.ack();
    const target = targetOf(args);
    const req = toRequest(args, target.userId);
    if (!req) {
      await replyTo(ctx, target, { ok: false, code: 'STALE', message: 'This button is no longer valid.' });
      return;
    }
    const result = await performAction(ctx, req);
    ctx.logger.info(
      { kind: req.kind, user: target.userId, service: result.service, ok: result.ok },
      'slack action',
    );
    await replyTo(ctx, target, result);
  };
}
