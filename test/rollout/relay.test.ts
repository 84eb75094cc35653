// Registers the policy-version fields before the schema is built (schema/index.ts imports them too).
import '../../src/api/schema/types/policy-version.js';
import '../../src/api/schema/mutations/policy.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { activateNewVersion, reactivateVersion } from '../../src/rollout/versions.js';
import { type PolicyWatcher, watchPolicyVersions } from '../../src/rollout/watch.js';
import { type Harness, startHarness } from '../api/harness.js';
import { tempDir } from '../store/helpers.js';
import { policy, rig } from './helpers.js';

const POLICY_KINDS = ['policy_applied', 'policy_rolled_back'];
const INITIAL = { policies: { default: DEFAULT_POLICY }, services: { api: 'default' } };

async function cli(args: string[], cwd: string, db: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (c) => (stderr += c));
  const code = await main(args, { stdout: out, stderr: err, env: { MEDIC_DB: db }, cwd });
  return { code, stderr };
}

let watcher: PolicyWatcher | undefined;
let h: Harness | undefined;
afterEach(async () => {
  watcher?.stop();
  watcher = undefined;
  await h?.close();
  h = undefined;
});

/** A running engine on a store whose version 1 predates the watcher; the policy events it publishes. */
async function running() {
  const dir = tempDir();
  const db = join(dir, 'medic.db');
  const r = await rig([{ name: 'api', unit: 'shop-api.service', policy: policy() }], { path: db });
  activateNewVersion(r.store, INITIAL, { author: 'test', reason: 'initial', now: r.clock.now() });
  const got: AuditEvent[] = [];
  r.engine.subscribe((e) => {
    if (POLICY_KINDS.includes(e.kind)) got.push(e);
  });
  watcher = watchPolicyVersions(r.store, r.engine, { intervalMs: 20 });
  const strict = join(dir, 'strict.yaml');
  writeFileSync(strict, 'policies:\n  default: { failureThreshold: 1, maxRestarts: 1, windowSec: 3600 }\n');
  return { dir, db, r, got, strict };
}

describe('policy events reach live subscribers', () => {
  it('relays nothing committed before the watcher started', async () => {
    const { got } = await running();
    watcher!.check();
    expect(got).toEqual([]);
  });

  it('a CLI apply reaches a subscriber of the running engine exactly once, with its log line', async () => {
    const { dir, db, r, got, strict } = await running();
    const res = await cli(
      ['policy', 'apply', strict, '--yes', '--reason', 'tighten', '--author', 'alice'],
      dir,
      db,
    );
    expect(res).toMatchObject({ code: 0, stderr: '' });
    await vi.waitFor(() => expect(got).toHaveLength(1));
    const stored = r.store.listEvents({ kinds: ['policy_applied'], order: 'desc', first: 1 }).events[0];
    expect(got[0]).toEqual(stored);
    expect(got[0]).toMatchObject({ actor: 'alice', reason: 'tighten', data: { version: 2 } });
    // More polls announce nothing again.
    watcher!.check();
    watcher!.check();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(got).toHaveLength(1);
    expect(r.logs.filter((l) => l.eventId === stored.id)).toMatchObject([
      { kind: 'policy_applied', actor: 'alice' },
    ]);
  });

  it('a CLI rollback reaches a subscriber exactly once', async () => {
    const { dir, db, got, strict } = await running();
    expect((await cli(['policy', 'apply', strict, '--yes', '--reason', 'tighten'], dir, db)).code).toBe(0);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect((await cli(['policy', 'rollback', '--reason', 'too strict'], dir, db)).code).toBe(0);
    await vi.waitFor(() => expect(got).toHaveLength(2));
    watcher!.check();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(got.map((e) => [e.kind, e.data?.version])).toEqual([
      ['policy_applied', 2],
      ['policy_rolled_back', 1],
    ]);
  });

  it('an apply and a rollback within one poll are both relayed, in order, though the version is unchanged', async () => {
    const { r, got } = await running();
    watcher!.stop();
    const manual = watchPolicyVersions(r.store, r.engine, { intervalMs: 60_000 });
    try {
      const by = { author: 'bob', reason: 'try', now: r.clock.now() };
      activateNewVersion(
        r.store,
        { ...INITIAL, policies: { default: { ...DEFAULT_POLICY, maxRestarts: 1 } } },
        by,
      );
      reactivateVersion(r.store, 1, by);
      expect(manual.check()).toBe(1);
      expect(got.map((e) => e.kind)).toEqual(['policy_applied', 'policy_rolled_back']);
      manual.check();
      expect(got).toHaveLength(2);
    } finally {
      manual.stop();
    }
  });

  it('applyPolicy / rollbackPolicy over GraphQL publish their event once, even with the watcher running', async () => {
    h = await startHarness();
    activateNewVersion(
      h.store,
      { policies: { default: DEFAULT_POLICY }, services: { api: 'default', worker: 'default' } },
      { author: 'test', reason: 'initial', now: h.clock.now() },
    );
    const got: AuditEvent[] = [];
    h.engine.subscribe((e) => {
      if (POLICY_KINDS.includes(e.kind)) got.push(e);
    });
    watcher = watchPolicyVersions(h.store, h.engine, { intervalMs: 60_000 });
    const applied = await h.gql<{ applyPolicy: { __typename: string } }>(
      'admin',
      `mutation($content: String!) { applyPolicy(content: $content, reason: "tighten", dryRun: false) { __typename } }`,
      { content: 'policies:\n  default: { maxRestarts: 1, windowSec: 3600 }\n' },
    );
    expect(applied.body.data?.applyPolicy.__typename).toBe('PolicyApplyReport');
    // Published by the mutation itself, before any poll.
    expect(got.map((e) => e.kind)).toEqual(['policy_applied']);
    watcher.check();
    expect(got).toHaveLength(1);
    const rolled = await h.gql<{ rollbackPolicy: { __typename: string } }>(
      'admin',
      'mutation { rollbackPolicy(reason: "undo") { __typename } }',
    );
    expect(rolled.body.data?.rollbackPolicy.__typename).toBe('PolicyRollbackReport');
    watcher.check();
    expect(got.map((e) => e.kind)).toEqual(['policy_applied', 'policy_rolled_back']);
    expect(got.map((e) => e.id)).toEqual(
      h.store
        .listEvents({ kinds: ['policy_applied', 'policy_rolled_back'], first: 10 })
        .events.slice(1)
        .map((e) => e.id),
    );
  });
});
