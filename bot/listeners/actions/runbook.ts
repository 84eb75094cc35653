/** The Runbook link button opens a URL in the browser; Slack still sends a click, which we ack. */
import type { App } from '@slack/bolt';
import { ACTION } from '../../blocks/actions.js';

export function register(app: App): void {
  app.action(ACTION.runbook, async ({ ack }) => {
    await ack();
  });
}
