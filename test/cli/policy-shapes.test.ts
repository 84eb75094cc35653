/**
 * `medic policy check` and `medic policy apply` accept the same file shapes: one policy, a bare
 * map of named policies, a `policies:` file with service assignments, and a runtime contract.
 * (Before, a single policy that `check` called valid was rejected by `apply` with "expected
 * object, received number" once per field.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { parseContract } from '../../src/contract/load.js';
import { policyShapeOf } from '../../src/core/policy-shape.js';
import { activePolicySet, resolveActivePolicies } from '../../src/rollout/versions.js';
import { policy, rig } from '../rollout/helpers.js';
import { tempDir } from '../store/helpers.js';

const CONTRACT = `version: 1
supervisor: { kind: systemd, scope: user }
conda: { root: /opt/conda, env: shop, python: "3.11" }
policies:
  default: { failureThreshold: 3 }
services:
  - name: api
    unit: shop-api.service
    command: [python, -m, shop.api]
    policy: default
`;

const SHAPES: Record<string, string> = {
  policy: 'cooldownSec: 45\nmaxRestarts: 4\nwindowSec: 900\n',
  named: 'default: { cooldownSec: 45 }\nbatch: { maxRestarts: 5, windowSec: 1800 }\n',
  policies: 'policies:\n  default: { cooldownSec: 45 }\nservices:\n  api: default\n',
  contract: CONTRACT.replace('failureThreshold: 3', 'failureThreshold: 2'),
};

async function cli(args: string[], cwd: string, db: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => {
    stdout += c;
  });
  err.on('data', (c) => {
    stderr += c;
  });
  const code = await main(args, { stdout: out, stderr: err, env: { MEDIC_DB: db }, cwd });
  return { code, stdout, stderr };
}

describe('policy file shapes', () => {
  it('classifies each shape', () => {
    expect(policyShapeOf({ cooldownSec: 1 })).toBe('policy');
    expect(policyShapeOf({})).toBe('policy');
    expect(policyShapeOf({ backoff: { factor: 2 } })).toBe('policy');
    expect(policyShapeOf({ default: {} })).toBe('named');
    expect(policyShapeOf({ policies: {} })).toBe('policies');
    expect(policyShapeOf({ services: [] })).toBe('contract');
    expect(policyShapeOf([1])).toBe('invalid');
  });

  it.each(Object.keys(SHAPES))('check and apply both accept a %s file', async (shape) => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const r = await rig([{ name: 'api', unit: 'shop-api.service', policy: policy() }], {
      path: db,
      clock: new SimulatedClock(),
    });
    resolveActivePolicies(r.store, parseContract(CONTRACT, join(dir, 'c.yaml')), {
      author: 't',
      now: r.clock.now(),
    });
    r.abandon();
    const file = join(dir, `${shape}.yaml`);
    writeFileSync(file, SHAPES[shape]);
    const check = await cli(['policy', 'check', file], dir, db);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const apply = await cli(['policy', 'apply', file, '--yes', '--reason', `a ${shape} file`], dir, db);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('is now active');
  });

  it('applies a single policy to every service of the active version', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const r = await rig([{ name: 'api', unit: 'shop-api.service', policy: policy() }], {
      path: db,
      clock: new SimulatedClock(),
    });
    resolveActivePolicies(r.store, parseContract(CONTRACT, join(dir, 'c.yaml')), {
      author: 't',
      now: r.clock.now(),
    });
    r.abandon();
    writeFileSync(join(dir, 'one.yaml'), SHAPES.policy);
    expect((await cli(['policy', 'apply', 'one.yaml', '--yes', '--reason', 'x'], dir, db)).code).toBe(0);
    const { openStore } = await import('../../src/store/sqlite.js');
    const store = openStore(db);
    const active = activePolicySet(store);
    store.close();
    expect(active?.set.services).toEqual({ api: 'default' });
    expect(active?.set.policies.default).toMatchObject({ cooldownSec: 45, maxRestarts: 4, windowSec: 900 });
  });

  it('reports every problem of a bad single policy the same way in check and apply', async () => {
    const dir = tempDir();
    const db = join(dir, 'medic.db');
    const r = await rig([{ name: 'api', unit: 'shop-api.service', policy: policy() }], {
      path: db,
      clock: new SimulatedClock(),
    });
    resolveActivePolicies(r.store, parseContract(CONTRACT, join(dir, 'c.yaml')), {
      author: 't',
      now: r.clock.now(),
    });
    r.abandon();
    writeFileSync(join(dir, 'bad.yaml'), 'cooldownSec: -1\nmaxRestarts: zero\n');
    const check = await cli(['policy', 'check', 'bad.yaml'], dir, db);
    const apply = await cli(['policy', 'apply', 'bad.yaml'], dir, db);
    expect([check.code, apply.code]).toEqual([2, 2]);
    for (const out of [check.stderr, apply.stderr]) {
      expect(out).toContain('cooldownSec');
      expect(out).toContain('maxRestarts');
      expect(out).not.toContain('expected object');
    }
  });
});
