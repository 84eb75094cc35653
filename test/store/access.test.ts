import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { tempStore } from './helpers.js';

const run = promisify(execFile);
const HASH = (c: string) => c.repeat(64);

describe('pending actions', () => {
  const action = (id: string, over = {}) => ({
    id,
    service: 'api',
    kind: 'approve' as const,
    incident: 'api:1',
    createdAt: 100,
    expiresAt: 1_000,
    ...over,
  });

  it('lets the first claim win and refuses every later one, returning the winner', () => {
    const { store } = tempStore();
    store.createPendingAction(action('a1'));
    const first = store.claimPendingAction('a1', 'alice', 200);
    expect(first).toEqual({ ok: true, action: { ...action('a1'), usedAt: 200, usedBy: 'alice' } });
    const second = store.claimPendingAction('a1', 'bob', 201);
    expect(second).toEqual({ ok: false, action: { ...action('a1'), usedAt: 200, usedBy: 'alice' } });
    expect(store.claimPendingAction('missing', 'bob', 201)).toEqual({ ok: false, action: null });
  });

  it('refuses a claim at or after expiry', () => {
    const { store } = tempStore();
    store.createPendingAction(action('a1'));
    expect(store.claimPendingAction('a1', 'alice', 1_000).ok).toBe(false);
    expect(store.getPendingAction('a1')?.usedAt).toBeNull();
  });

  it('gives exactly one of several processes claiming at the same instant the action', async () => {
    const { store, path } = tempStore();
    store.createPendingAction(action('race', { expiresAt: Date.now() + 60_000 }));
    const start = String(Date.now() + 2_500);
    const actors = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const outs = await Promise.all(
      actors.map((a) =>
        run(process.execPath, ['--import', 'tsx', 'test/fixtures/store-claim.ts', path, 'race', a, start]),
      ),
    );
    const results = outs.map((o) => JSON.parse(o.stdout) as { ok: boolean; actor: string });
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(store.getPendingAction('race')?.usedBy).toBe(winners[0].actor);
  });

  it('lists only open actions of a service and expires them on demand', () => {
    const { store } = tempStore();
    store.createPendingAction(action('a1'));
    store.createPendingAction(action('b1', { kind: 'block', createdAt: 101 }));
    store.createPendingAction(action('x1', { service: 'other' }));
    store.createPendingAction(action('used'));
    store.claimPendingAction('used', 'alice', 150);
    expect(store.pendingActionsFor('api', 200).map((a) => a.id)).toEqual(['a1', 'b1']);
    expect(store.expirePendingActions('api', 300, ['approve'])).toBe(1);
    expect(store.pendingActionsFor('api', 300).map((a) => a.id)).toEqual(['b1']);
    expect(store.claimPendingAction('a1', 'bob', 301).ok).toBe(false);
    expect(store.expirePendingActions('api', 300)).toBe(1);
    expect(store.pendingActionsFor('api', 300)).toEqual([]);
    expect(store.pendingActionsFor('other', 300).map((a) => a.id)).toEqual(['x1']);
  });
});

describe('api tokens', () => {
  it('finds a token by its hash until it is revoked', () => {
    const { store } = tempStore();
    const t = store.createToken('grafana', 'viewer', HASH('a'), 10);
    expect(t).toEqual({ name: 'grafana', role: 'viewer', createdAt: 10, revokedAt: null, lastUsedAt: null });
    expect(store.findTokenByHash(HASH('a'))).toEqual(t);
    expect(store.findTokenByHash(HASH('b'))).toBeNull();
    store.touchToken('grafana', 20);
    expect(store.findTokenByHash(HASH('a'))?.lastUsedAt).toBe(20);
    expect(store.revokeToken('grafana', 30)).toBe(true);
    expect(store.revokeToken('grafana', 31)).toBe(false);
    expect(store.findTokenByHash(HASH('a'))).toBeNull();
    expect(store.listTokens()).toEqual([{ ...t, lastUsedAt: 20, revokedAt: 30 }]);
  });

  it('refuses a second token with the same name or secret', () => {
    const { store } = tempStore();
    store.createToken('ci', 'operator', HASH('a'), 1);
    const dupName = () => store.createToken('ci', 'admin', HASH('b'), 2);
    expect(dupName).toThrow(StoreError);
    expect(dupName).toThrow(/already exists/);
    expect(() => store.createToken('other', 'admin', HASH('a'), 2)).toThrow(/already exists/);
    expect(store.listTokens().map((t) => t.role)).toEqual(['operator']);
  });
});

describe('policy versions', () => {
  const v = (hash: string) => ({
    hash,
    content: { policies: { default: {} } },
    author: 'alice',
    reason: 'r',
    createdAt: 5,
  });

  it('numbers versions and keeps exactly one active', () => {
    const { store } = tempStore();
    expect(store.activePolicyVersion()).toBeNull();
    const one = store.insertPolicyVersion(v('h1'));
    const two = store.insertPolicyVersion(v('h2'));
    expect([one.version, two.version, one.active]).toEqual([1, 2, false]);
    store.activatePolicyVersion(1);
    expect(store.activePolicyVersion()?.hash).toBe('h1');
    expect(store.activatePolicyVersion(2)).toMatchObject({ version: 2, active: true });
    expect(store.listPolicyVersions().map((p) => [p.version, p.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(store.getPolicyVersion(1)?.content).toEqual({ policies: { default: {} } });
    expect(store.getPolicyVersion(9)).toBeNull();
  });

  it('refuses to activate an unknown version and keeps the active one', () => {
    const { store } = tempStore();
    store.insertPolicyVersion(v('h1'));
    store.activatePolicyVersion(1);
    expect(() => store.activatePolicyVersion(7)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(store.activePolicyVersion()?.version).toBe(1);
  });
});
