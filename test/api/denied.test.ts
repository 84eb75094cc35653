/**
 * Denied access is rate limited and summarised (core/throttle.ts): a viewer token hammering
 * operator mutations writes at most one access_denied event per operation per minute, with the
 * count it stands for, and gets 429 + Retry-After once past the documented threshold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { THROTTLE_DEFAULTS } from '../../src/core/throttle.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(async () => h?.close());

const HOLD = 'mutation { holdService(name: "api", ttlSec: 60, reason: "x") { __typename } }';
const RELEASE = 'mutation { releaseService(name: "api", reason: "x") { __typename } }';

async function raw(token: string, query: string) {
  return h.app.fetch(
    new Request('http://medic.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    }),
  );
}

describe('denied access', () => {
  it('writes one access_denied event per principal and operation per minute, with a count', async () => {
    h = await startHarness();
    for (let i = 0; i < 10; i++) {
      const res = await raw(h.tokens.viewer, i % 2 ? RELEASE : HOLD);
      expect(res.status).toBe(200);
      h.clock.advance(1000);
    }
    let denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
    expect(denied.map((e) => e.data?.operation)).toEqual(['holdService', 'releaseService']);
    expect(denied.map((e) => e.data?.count)).toEqual([1, 1]);
    h.clock.advance(60_000); // a minute after the first: the next refusal writes the summary
    await raw(h.tokens.viewer, HOLD);
    denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
    expect(denied).toHaveLength(3);
    expect(denied[2].data).toMatchObject({ operation: 'holdService', count: 5 }); // 4 counted + this one
  });

  it(`answers 429 with Retry-After once a principal was refused more than ${THROTTLE_DEFAULTS.maxPerWindow} times a minute`, async () => {
    h = await startHarness();
    for (let i = 0; i < THROTTLE_DEFAULTS.maxPerWindow; i++) {
      expect((await raw(h.tokens.viewer, HOLD)).status).toBe(200);
    }
    expect((await raw(h.tokens.viewer, HOLD)).status).toBe(200); // the refusal over the threshold
    const limited = await raw(h.tokens.viewer, '{ services { name } }'); // even a query: no work done
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
    // Other principals are not affected; the blocked one is served again after Retry-After.
    expect((await raw(h.tokens.operator, '{ services { name } }')).status).toBe(200);
    h.clock.advance(60_000);
    expect((await raw(h.tokens.viewer, '{ services { name } }')).status).toBe(200);
    expect(h.store.listEvents({ kinds: ['access_denied'] }).events).toHaveLength(1);
  });
});
