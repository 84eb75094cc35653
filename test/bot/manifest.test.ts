import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const manifest = parse(readFileSync(new URL('../../examples/slack/manifest.yaml', import.meta.url), 'utf8'));

describe('examples/slack/manifest.yaml', () => {
  it('points events, interactivity and /medic at the route the bot mounts', () => {
    const urls = [
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
      manifest.features.slash_commands[0].url,
    ];
    for (const url of urls) expect(new URL(url).pathname).toBe('/slack/events');
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(['/medic']);
  });

  it('subscribes to app_home_opened with the Home tab on and asks only for the scopes the bot uses', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(['chat:write', 'commands', 'usergroups:read']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });
});
