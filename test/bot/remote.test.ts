/**
 * The bot is a pure GraphQL client: the same bot, unchanged, against the API over real HTTP with
 * a `bot` token (as it will run against a fleet hub) — incident posted from the subscription,
 * buttons minted over GraphQL, concurrent Approve clicks claimed (first click wins) and one
 * restart carried out; the bot-only operations refuse other tokens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import {
  ADMIN,
  buttonValue,
  type Harness,
  lastParent,
  OPERATOR,
  openCircuit,
  send,
  settle,
  startHarness,
} from './harness.js';
import { blockActions, FORM } from './slack-requests.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('the bot over a remote GraphQL endpoint (bot token)', () => {
  it('posts the incident, and of two Approve clicks exactly one restarts the service', async () => {
    h = await startHarness({ remote: true });
    await openCircuit(h);
    await settle(h);
    expect(lastParent(h).text).toContain('api');
    const id = buttonValue(h, 'medic_approve')!;
    expect(id).toBeTruthy();

    const clicks = [OPERATOR, ADMIN].map((user) =>
      send(h, blockActions(h.who(user), { actionId: 'medic_approve', value: id }), FORM),
    );
    for (const sent of await Promise.all(clicks)) expect(sent.status).toBe(200);
    await settle(h);
    await h.engine.idle();
    expect(h.restarts.filter((r) => r.effect.type === 'restart')).toHaveLength(1);
    expect(h.store.getPendingAction(id)?.usedBy).toMatch(/^slack:U0(OPERATOR|ADMIN)$/);
    expect(h.store.eventCursor('slack')).toBe(h.bot.tracker.lastEventId);
  });

  it('refuses the bot-only operations to a token that is not the bot', async () => {
    h = await startHarness({ remote: true });
    const token = generateToken();
    h.store.createToken('grafana', 'operator', hashToken(token), h.clock.now());
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ eventCursor(name: "slack") }' }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_ALLOWED');
    const denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
    expect(denied.map((e) => e.actor)).toContain('grafana');
  });
});
