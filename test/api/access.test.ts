import { afterEach, describe, expect, it } from 'vitest';
import { generateToken } from '../../src/api/http/auth.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(async () => h?.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  new Request('http://medic.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('bearer tokens', () => {
  it('answers 401 without a token, with an unknown token and with a revoked token', async () => {
    h = await startHarness();
    const query = JSON.stringify({ query: '{ services { name } }' });
    const missing = await h.app.fetch(post(query));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await h.app.fetch(post(query, { authorization: `Bearer ${generateToken()}` }))).status).toBe(401);
    expect((await h.app.fetch(post(query, { authorization: `Bearer ${h.tokens.viewer}` }))).status).toBe(200);
    h.store.revokeToken('viewer-token', h.clock.now());
    expect((await h.app.fetch(post(query, { authorization: `Bearer ${h.tokens.viewer}` }))).status).toBe(401);
  });

  it('serves the GraphiQL page to a browser without a token, but not introspection', async () => {
    h = await startHarness();
    const page = await h.app.fetch(
      new Request('http://medic.test/graphql', { headers: { accept: 'text/html' } }),
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>medic</title>');
    const introspection = JSON.stringify({ query: '{ __schema { queryType { name } } }' });
    expect((await h.app.fetch(post(introspection))).status).toBe(401);
    const withToken = await h.app.fetch(post(introspection, { authorization: `Bearer ${h.tokens.viewer}` }));
    expect(await withToken.json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('records when a token was last used', async () => {
    h = await startHarness();
    await h.gql('operator', '{ services { name } }');
    const used = h.store.listTokens().find((t) => t.name === 'operator-token');
    expect(used?.lastUsedAt).toBe(h.clock.now());
  });
});

describe('limits', () => {
  it('refuses a body over 100 kB with 413 before parsing it', async () => {
    h = await startHarness();
    const body = JSON.stringify({ query: `{ services { name } } # ${'x'.repeat(110 * 1024)}` });
    const res = await h.app.fetch(
      post(body, { authorization: `Bearer ${h.tokens.viewer}`, 'content-length': String(body.length) }),
    );
    expect(res.status).toBe(413);
  });

  it('rejects a query deeper than the limit with QUERY_TOO_DEEP', async () => {
    h = await startHarness({ deps: { limits: { maxDepth: 3 } } });
    const ok = await h.gql('viewer', '{ services { churn { restartsInWindow } } }');
    expect(ok.body.errors).toBeUndefined();
    const deep = await h.gql('viewer', '{ services { policy { backoff { factor } } } }');
    expect(deep.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
  });

  it('rejects a query whose cost exceeds the limit (page sizes multiply), also through fragments', async () => {
    h = await startHarness();
    const cheap = await h.gql('viewer', '{ events(first: 10) { edges { node { id kind } } } }');
    expect(cheap.body.errors).toBeUndefined();
    const costly = await h.gql(
      'viewer',
      `{ services { events(first: 500) { edges { node { ...E } } } } events(first: 500) { edges { node { ...E } } } }
       fragment E on Event { id kind at actor reason decision taken stateFrom stateTo service mode input data
         counters { restartsInWindow totalRestarts blockedAttempts circuitOpens } effects { type initiator probe reason } }`,
    );
    expect(costly.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  it('bounds batched requests', async () => {
    h = await startHarness({ deps: { limits: { maxBatch: 2 } } });
    const auth = { authorization: `Bearer ${h.tokens.viewer}` };
    const two = await h.app.fetch(
      post(
        JSON.stringify([{ query: '{ a: services { name } }' }, { query: '{ b: services { name } }' }]),
        auth,
      ),
    );
    expect(two.status).toBe(200);
    expect(await two.json()).toHaveLength(2);
    const three = await h.app.fetch(
      post(JSON.stringify(Array(3).fill({ query: '{ services { name } }' })), auth),
    );
    expect(three.status).toBeGreaterThanOrEqual(400);
  });

  it('masks internal errors with a code and logs the cause', async () => {
    h = await startHarness();
    // Fault injection: the audit log becomes unreadable (an internal failure, not a client error).
    h.store.listEvents = () => {
      throw new Error('SqliteError: disk I/O error reading /var/lib/medic/medic.db');
    };
    const { body } = await h.gql('viewer', '{ events { edges { cursor } } }');
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL' } }),
    ]);
    expect(JSON.stringify(body)).not.toMatch(/database|sqlite/i);
    expect(h.logs.join('')).toMatch(/internal error while executing GraphQL/);
  });

  it('answers 503 (not 500 or 401) when the token store cannot be read', async () => {
    h = await startHarness();
    h.store.findTokenByHash = () => {
      throw new Error('database is locked');
    };
    const { status, body } = await h.gql('viewer', '{ services { name } }');
    expect(status).toBe(503);
    expect(body.errors?.[0].extensions?.code).toBe('UNAVAILABLE');
  });
});
