/**
 * The agent-token cache of the budget endpoints (src/hub/auth.ts, real PostgreSQL): a token is
 * trusted AGENT_TOKEN_CACHE_MS after its lookup without a query; used in the second half of that
 * time it is looked up again in the background, so an agent that keeps asking never waits for a
 * lookup; a revoked token is refused within AGENT_TOKEN_CACHE_MS (sooner once a refresh saw it);
 * concurrent first requests share their lookups (src/hub/token-batch.ts), and the refreshes of
 * many agents' entries falling due one by one go in rounds, one query each (REFRESH_EVERY_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_CACHE_MS, HubAuthenticator, REFRESH_EVERY_MS } from '../../src/hub/auth.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { createAgentToken, revokeHubToken } from '../../src/hub/tokens.js';
import { freshDatabase, skipPg } from './pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipPg)('the agent-token cache (real PostgreSQL)', () => {
  let hub: HubDatabase;
  let url = '';
  const opened: HubDatabase[] = [];
  beforeAll(async () => {
    url = await freshDatabase();
    hub = openHubDatabase(url);
    await migrateHub(hub.pool);
  });
  afterAll(async () => {
    for (const db of [hub, ...opened]) await db?.close();
  });

  /** An authenticator on a hand-driven clock and its own pool, counting the token lookups it makes. */
  const setup = () => {
    let now = 1_000_000;
    let lookups = 0;
    let touches = 0;
    const own = openHubDatabase(url);
    opened.push(own);
    const query = own.pool.query.bind(own.pool) as (...args: unknown[]) => unknown;
    own.pool.query = ((...args: unknown[]) => {
      const text = JSON.stringify(args[0]);
      if (text.includes('agent_tokens') && !text.includes('update')) lookups++;
      if (text.includes('agent_tokens') && text.includes('update')) touches++;
      return query(...args);
    }) as typeof own.pool.query;
    const auth = new HubAuthenticator(own.db, () => now);
    return {
      auth,
      lookups: () => lookups,
      touches: () => touches,
      at: (ms: number) => {
        now = 1_000_000 + ms;
      },
    };
  };

  it('answers from the cache, refreshes it in the background in its second half, and keeps trusting an active token', async () => {
    const secret = await createAgentToken(hub.db, 'cache-a', 'node-a', 0);
    const { auth, lookups, at } = setup();
    const header = `Bearer ${secret}`;
    expect((await auth.authenticate(header, true)).ok).toBe(true);
    const first = lookups();
    at(AGENT_TOKEN_CACHE_MS / 4);
    expect((await auth.authenticate(header, true)).ok).toBe(true);
    expect(lookups()).toBe(first); // the first half: no query
    at(AGENT_TOKEN_CACHE_MS * 0.75);
    expect((await auth.authenticate(header, true)).ok).toBe(true); // answered at once…
    await sleep(200);
    expect(lookups()).toBe(first + 1); // …and looked up again behind it
    // Past the first entry's end: trusted still, from the refreshed entry, without a lookup.
    at(AGENT_TOKEN_CACHE_MS * 1.1);
    expect((await auth.authenticate(header, true)).ok).toBe(true);
    expect(lookups()).toBe(first + 1);
  });

  it('refuses a revoked token within AGENT_TOKEN_CACHE_MS, at once after a refresh saw it', async () => {
    const secret = await createAgentToken(hub.db, 'cache-b', 'node-b', 0);
    const header = `Bearer ${secret}`;
    const idle = setup();
    expect((await idle.auth.authenticate(header, true)).ok).toBe(true);
    await revokeHubToken(hub.db, 'cache-b', 1);
    idle.at(AGENT_TOKEN_CACHE_MS / 4);
    expect((await idle.auth.authenticate(header, true)).ok).toBe(true); // the documented grace
    idle.at(AGENT_TOKEN_CACHE_MS + 1);
    expect(await idle.auth.authenticate(header, true)).toMatchObject({ ok: false, status: 401 });

    const secret2 = await createAgentToken(hub.db, 'cache-c', 'node-c', 0);
    const busy = setup();
    expect((await busy.auth.authenticate(`Bearer ${secret2}`, true)).ok).toBe(true);
    await revokeHubToken(hub.db, 'cache-c', 1);
    busy.at(AGENT_TOKEN_CACHE_MS * 0.75);
    expect((await busy.auth.authenticate(`Bearer ${secret2}`, true)).ok).toBe(true); // starts the refresh
    await sleep(200);
    busy.at(AGENT_TOKEN_CACHE_MS * 0.76);
    expect(await busy.auth.authenticate(`Bearer ${secret2}`, true)).toMatchObject({ ok: false, status: 401 });
  });

  it('shares one lookup among concurrent first requests of a token', async () => {
    const secret = await createAgentToken(hub.db, 'cache-d', 'node-d', 0);
    const { auth, lookups } = setup();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => auth.authenticate(`Bearer ${secret}`, true)),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(lookups()).toBe(1);
  });

  it('looks up many agents’ first requests in a few queries, and refuses the unknown among them', async () => {
    const secrets = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createAgentToken(hub.db, `cache-e${i}`, `node-e${i}`, 0)),
    );
    const { auth, lookups } = setup();
    const answers = await Promise.all([
      ...secrets.map((s) => auth.authenticate(`Bearer ${s}`, true)),
      auth.authenticate('Bearer medic_not_a_token', true),
    ]);
    expect(answers.slice(0, 30).map((a) => (a.ok ? a.token.node : null))).toEqual(
      secrets.map((_, i) => `node-e${i}`),
    );
    expect(answers[30]).toMatchObject({ ok: false, status: 401 });
    // The first goes at once, the rest together behind it.
    expect(lookups()).toBeLessThanOrEqual(2);
  });

  it('refreshes many agents’ entries in rounds, one query each, and keeps trusting them all', async () => {
    const secrets = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createAgentToken(hub.db, `cache-f${i}`, `node-f${i}`, 0)),
    );
    const { auth, lookups, at } = setup();
    await Promise.all(secrets.map((s) => auth.authenticate(`Bearer ${s}`, true)));
    const first = lookups();
    // Each agent asks again in the second half of its entry, one every 5 ms (all within 150 ms),
    // each after the previous one's lookup would have finished (real time passes too).
    for (const [i, s] of secrets.entries()) {
      at(AGENT_TOKEN_CACHE_MS * 0.6 + i * 5);
      expect((await auth.authenticate(`Bearer ${s}`, true)).ok).toBe(true);
      await sleep(20);
    }
    // The next request after a round's interval starts the refreshes that fell due meanwhile.
    at(AGENT_TOKEN_CACHE_MS * 0.6 + REFRESH_EVERY_MS + 150);
    expect((await auth.authenticate(`Bearer ${secrets[0]}`, true)).ok).toBe(true);
    await sleep(200);
    // One round for the first, one for the other 29 (before: a query per agent, 30).
    expect(lookups() - first).toBe(2);
    // Past the first entries' end every token is still trusted, from its refreshed entry.
    at(AGENT_TOKEN_CACHE_MS * 1.05);
    const again = lookups();
    const answers = await Promise.all(secrets.map((s) => auth.authenticate(`Bearer ${s}`, true)));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(lookups()).toBe(again);
  });

  it("records a kept-asking agent's use once a minute, across its entry's refreshes", async () => {
    const secret = await createAgentToken(hub.db, 'cache-g', 'node-g', 0);
    const { auth, touches, at } = setup();
    const lastUsed = async () =>
      Number(
        (await hub.pool.query("SELECT last_used_at FROM agent_tokens WHERE name = 'cache-g'")).rows[0]
          .last_used_at,
      );
    // A request every second for 70 s of the hand clock (the entry refreshed every few seconds).
    for (let s = 0; s <= 70; s++) {
      at(s * 1000);
      expect((await auth.authenticate(`Bearer ${secret}`, true)).ok).toBe(true);
      await sleep(10);
      if (s === 59) {
        expect(touches()).toBe(1); // the first request's, none since
        expect(await lastUsed()).toBe(1_000_000);
      }
    }
    await sleep(100);
    expect(touches()).toBe(2); // …and the one a minute after it
    expect(await lastUsed()).toBe(1_060_000);
  });
});
