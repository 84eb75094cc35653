// Registers the policy-version fields before the schema is built (schema/index.ts imports them too).
import '../../src/api/schema/types/policy-version.js';
import '../../src/api/schema/mutations/policy.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { activateNewVersion } from '../../src/rollout/versions.js';
import { type Harness, startHarness } from '../api/harness.js';

let h: Harness;
afterEach(async () => h?.close());

const APPLY = `mutation($content: String, $reason: String!, $dryRun: Boolean) {
  applyPolicy(content: $content, reason: $reason, dryRun: $dryRun) {
    __typename
    ... on MutationError { code message }
    ... on PolicyApplyReport {
      dryRun unchanged activeVersion affected replayedInputs
      applied { version author reason active }
      changes { path from to }
      services { service inputs restartsActive restartsCandidate restartsAvoided circuitsOpenedCandidate firstDivergence }
    }
  }
}`;
const ROLLBACK = `mutation($to: Int, $reason: String!) {
  rollbackPolicy(to: $to, reason: $reason) {
    __typename
    ... on MutationError { code message }
    ... on PolicyRollbackReport { from { version } to { version active } }
  }
}`;
const STRICT = 'policies:\n  default: { maxRestarts: 1, windowSec: 3600 }\n';

/** Version 1 = the defaults for api and worker, then a crash loop of api in the last hour. */
async function start() {
  h = await startHarness();
  h.clock.advanceTo(Date.now() - 3_600_000);
  activateNewVersion(
    h.store,
    { policies: { default: DEFAULT_POLICY }, services: { api: 'default', worker: 'default' } },
    { author: 'test', reason: 'initial', now: h.clock.now() },
  );
  for (let i = 0; i < 8; i++) {
    h.clock.advance(120_000);
    await h.engine.submit('api', { type: 'exited', code: 1 });
    h.clock.advance(5_000);
    await h.engine.submit('api', { type: 'probe_ok' });
  }
  return h;
}

const policyEvents = () =>
  h.store.listEvents({ kinds: ['policy_applied', 'policy_rolled_back', 'access_denied'], first: 100 }).events;

describe('GraphQL policy versions', () => {
  it('lists versions and the active policy of a service (any role)', async () => {
    await start();
    const res = await h.gql<{ policyVersions: unknown[]; activePolicy: unknown }>(
      'viewer',
      `{ policyVersions { version active author services { service policyName policy { maxRestarts } } }
         activePolicy(service: "api") { service version policyName policy { maxRestarts windowSec } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.policyVersions).toEqual([
      {
        version: 1,
        active: true,
        author: 'test',
        services: [
          { service: 'api', policyName: 'default', policy: { maxRestarts: 3 } },
          { service: 'worker', policyName: 'default', policy: { maxRestarts: 3 } },
        ],
      },
    ]);
    expect(res.body.data?.activePolicy).toEqual({
      service: 'api',
      version: 1,
      policyName: 'default',
      policy: { maxRestarts: 3, windowSec: 600 },
    });
  });

  it('applyPolicy is admin-only and audits the refusal', async () => {
    await start();
    const res = await h.gql<{ applyPolicy: { code: string } }>('operator', APPLY, {
      content: STRICT,
      reason: 'x',
    });
    expect(res.body.data?.applyPolicy.code).toBe('NOT_ALLOWED');
    expect(policyEvents().map((e) => e.kind)).toEqual(['policy_applied', 'access_denied']);
  });

  it('applyPolicy dry run (the default) replays and activates nothing', async () => {
    await start();
    const res = await h.gql<{ applyPolicy: Record<string, unknown> }>('admin', APPLY, {
      content: STRICT,
      reason: 'try',
    });
    const r = res.body.data!.applyPolicy;
    expect(r).toMatchObject({
      __typename: 'PolicyApplyReport',
      dryRun: true,
      applied: null,
      activeVersion: 1,
    });
    expect(r.affected).toEqual(['api', 'worker']);
    expect(r.changes).toContainEqual({ path: 'policies.default.maxRestarts', from: 3, to: 1 });
    const api = (r.services as Record<string, unknown>[]).find((s) => s.service === 'api')!;
    expect(api.inputs).toBeGreaterThan(0);
    expect(api.restartsAvoided).toBeGreaterThan(0);
    expect(api.firstDivergence).toMatchObject({ candidate: { decisions: ['circuit_opened'] } });
    expect(h.store.listPolicyVersions()).toHaveLength(1);
    expect(h.engine.services.get('api')?.policy.maxRestarts).toBe(3);
  });

  it('applyPolicy reports every problem of an invalid candidate as one ValidationError', async () => {
    await start();
    const res = await h.gql<{ applyPolicy: { code: string; message: string } }>('admin', APPLY, {
      content: 'policies:\n  default: { cooldownSec: -1, bogus: 1 }\n',
      reason: 'x',
      dryRun: false,
    });
    expect(res.body.data?.applyPolicy.code).toBe('VALIDATION');
    expect(res.body.data?.applyPolicy.message).toContain('policies.default.cooldownSec');
    expect(res.body.data?.applyPolicy.message).toContain('bogus');
    expect(h.store.listPolicyVersions()).toHaveLength(1);
  });

  it('applyPolicy with dryRun false activates, audits and switches the engine; rollbackPolicy restores', async () => {
    await start();
    const applied = await h.gql<{ applyPolicy: Record<string, unknown> }>('admin', APPLY, {
      content: STRICT,
      reason: 'tighten',
      dryRun: false,
    });
    expect(applied.body.data?.applyPolicy).toMatchObject({
      dryRun: false,
      applied: { version: 2, author: 'admin-token', reason: 'tighten', active: true },
    });
    expect(h.engine.services.get('api')?.policy.maxRestarts).toBe(1);
    const back = await h.gql<{ rollbackPolicy: unknown }>('admin', ROLLBACK, { reason: 'too strict' });
    expect(back.body.data?.rollbackPolicy).toEqual({
      __typename: 'PolicyRollbackReport',
      from: { version: 2 },
      to: { version: 1, active: true },
    });
    expect(h.engine.services.get('api')?.policy.maxRestarts).toBe(3);
    expect(policyEvents().map((e) => [e.kind, e.actor])).toEqual([
      ['policy_applied', 'test'],
      ['policy_applied', 'admin-token'],
      ['policy_rolled_back', 'admin-token'],
    ]);
    const missing = await h.gql<{ rollbackPolicy: { code: string } }>('admin', ROLLBACK, {
      to: 9,
      reason: 'x',
    });
    expect(missing.body.data?.rollbackPolicy.code).toBe('NOT_FOUND');
  });
});
