import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { parseContract } from '../../src/contract/load.js';
import { activePolicySet, resolveActivePolicies } from '../../src/rollout/versions.js';
import { watchPolicyVersions } from '../../src/rollout/watch.js';
import { tempDir } from '../store/helpers.js';
import { crashLoop, play, rig } from './helpers.js';

const contractText = (policies: string) => `version: 1
supervisor: { kind: systemd, scope: user }
conda: { root: /opt/conda, env: shop, python: "3.11" }
policies:
${policies}
services:
  - name: api
    unit: shop-api.service
    command: [python, -m, shop.api]
    policy: default
`;

async function cli(args: string[], cwd: string, db: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  const code = await main(args, { stdout: out, stderr: err, env: { MEDIC_DB: db }, cwd });
  return { code, stdout, stderr };
}

/** A store with version 1 (from the contract, as serve's first start does) and an hour of crashes. */
async function setup() {
  const dir = tempDir();
  const db = join(dir, 'medic.db');
  const v1 = join(dir, 'contract.yaml');
  writeFileSync(v1, contractText('  default: { failureThreshold: 3 }'));
  const contract = parseContract(contractText('  default: { failureThreshold: 3 }'), v1);
  const r = await rig([{ name: 'api', unit: 'shop-api.service', policy: contract.services[0].policy }], {
    path: db,
    clock: new SimulatedClock(Date.now() - 2 * 3_600_000),
  });
  const resolved = resolveActivePolicies(r.store, contract, { author: 'test', now: r.clock.now() });
  await play(r, 'api', crashLoop(30, 120_000));
  const strict = join(dir, 'strict.yaml');
  writeFileSync(strict, 'policies:\n  default: { failureThreshold: 1, maxRestarts: 1, windowSec: 3600 }\n');
  return { dir, db, r, resolved, strict, v1 };
}

const kinds = (r: Awaited<ReturnType<typeof setup>>['r']) =>
  r.store
    .listEvents({ kinds: ['policy_applied', 'policy_rolled_back'], first: 500 })
    .events.map((e) => e.kind);

describe('medic policy diff|apply|rollback', () => {
  it('stores the contract policies as version 1 on first start, audited policy_applied', async () => {
    const { r, resolved } = await setup();
    expect(resolved).toMatchObject({ applied: true, warning: null, version: { version: 1, active: true } });
    expect(kinds(r)).toEqual(['policy_applied']);
  });

  it('diff shows the changed keys against the active version and exits 1', async () => {
    const { dir, db, strict } = await setup();
    const res = await cli(['policy', 'diff', strict], dir, db);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('policies.default.failureThreshold: 3 → 1');
    expect(res.stdout).toContain('policies.default.maxRestarts: 3 → 1');
    expect(res.stdout).toContain('affected services: api');
  });

  it('apply without --yes replays the history, prints the differences and activates nothing', async () => {
    const { dir, db, r, strict } = await setup();
    const before = r.store.listPolicyVersions();
    const res = await cli(['policy', 'apply', strict, '--days', '1'], dir, db);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/service api: \d+ recorded inputs replayed/);
    expect(res.stdout).toMatch(/restarts: +active \d+, candidate \d+ → \d+ added, [1-9]\d* avoided/);
    expect(res.stdout).toMatch(
      /first at .* exited code=1:\n +active: restart .*\n +candidate: circuit_opened/,
    );
    expect(res.stdout).toContain('dry run: nothing was activated');
    expect(r.store.listPolicyVersions()).toEqual(before);
    expect(kinds(r)).toEqual(['policy_applied']);
  });

  it('apply rejects an invalid file with every problem and exit 2', async () => {
    const { dir, db, r } = await setup();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'policies:\n  default: { cooldownSec: -1, nope: 1 }\n  other: { windowSec: 10 }\n');
    const res = await cli(['policy', 'apply', bad, '--yes', '--reason', 'x'], dir, db);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('policies.default.cooldownSec');
    expect(res.stderr).toContain('nope');
    expect(res.stderr).toContain('policies.other.windowSec');
    expect(r.store.listPolicyVersions()).toHaveLength(1);
  });

  it('apply --yes needs a reason', async () => {
    const { dir, db, strict } = await setup();
    expect((await cli(['policy', 'apply', strict, '--yes'], dir, db)).code).toBe(2);
  });

  it('apply --yes activates an audited version that a running engine uses at once; rollback restores the previous one', async () => {
    const { dir, db, r, strict } = await setup();
    const watcher = watchPolicyVersions(r.store, r.engine, { intervalMs: 20 });
    try {
      const churnBefore = r.engine.view('api')!.churn.totalRestarts;
      const applied = await cli(
        ['policy', 'apply', strict, '--yes', '--reason', 'tighten', '--author', 'alice'],
        dir,
        db,
      );
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('applied: version 2');
      const event = r.store.listEvents({ kinds: ['policy_applied'], order: 'desc', first: 1 }).events[0];
      expect(event).toMatchObject({
        actor: 'alice',
        reason: 'tighten',
        data: { version: 2, previousVersion: 1 },
      });
      expect(event.data?.replay).toMatchObject({ services: [{ service: 'api' }] });
      // serve's watcher (polling) switches the engine without a restart; counters carry over.
      await vi.waitFor(() => expect(r.engine.services.get('api')?.policy.failureThreshold).toBe(1));
      expect(r.engine.view('api')!.churn.totalRestarts).toBe(churnBefore);
      r.clock.advance(3_600_000);
      await r.engine.submit('api', { type: 'probe_ok' });
      expect((await r.engine.submit('api', { type: 'probe_failed' })).decision.decision).toBe('restart');

      const rolled = await cli(['policy', 'rollback', '--reason', 'too strict'], dir, db);
      expect(rolled.code).toBe(0);
      expect(rolled.stdout).toContain('rolled back from version 2 to version 1');
      expect(activePolicySet(r.store)?.version.version).toBe(1);
      expect(kinds(r)).toEqual(['policy_applied', 'policy_applied', 'policy_rolled_back']);
      await vi.waitFor(() => expect(r.engine.services.get('api')?.policy.failureThreshold).toBe(3));
      r.clock.advance(3_600_000);
      await r.engine.idle();
      await r.engine.submit('api', { type: 'probe_ok' });
      expect((await r.engine.submit('api', { type: 'probe_failed' })).decision.decision).toBe(
        'failure_counted',
      );
    } finally {
      watcher.stop();
    }
  });

  it('rollback without a previous version exits 2 and changes nothing', async () => {
    const { dir, db, r } = await setup();
    const res = await cli(['policy', 'rollback', '--reason', 'x'], dir, db);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('first version');
    expect(kinds(r)).toEqual(['policy_applied']);
  });

  it('serve keeps the active version when the contract changed, with a warning; --apply-on-start switches, audited', async () => {
    const { r } = await setup();
    const changed = parseContract(contractText('  default: { failureThreshold: 5 }'), '/tmp/changed.yaml');
    const kept = resolveActivePolicies(r.store, changed, { author: 'serve', now: r.clock.now() });
    expect(kept).toMatchObject({ applied: false, version: { version: 1 } });
    expect(kept.policies.get('api')?.failureThreshold).toBe(3);
    expect(kept.warning).toContain('medic policy diff /tmp/changed.yaml');
    const switched = resolveActivePolicies(r.store, changed, {
      author: 'serve',
      now: r.clock.now(),
      applyOnStart: true,
    });
    expect(switched).toMatchObject({ applied: true, warning: null, version: { version: 2 } });
    expect(switched.policies.get('api')?.failureThreshold).toBe(5);
    expect(kinds(r)).toEqual(['policy_applied', 'policy_applied']);
    // Same contract again: nothing new.
    expect(
      resolveActivePolicies(r.store, changed, { author: 'serve', now: r.clock.now(), applyOnStart: true })
        .applied,
    ).toBe(false);
  });
});
