import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContractError, loadContract, parseContract } from '../../src/contract/load.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { cli, tempDir, writeContract } from './helpers.js';

const run = promisify(execFile);

const VALID = `version: 1
supervisor: { kind: systemd, scope: system }
conda: { root: /opt/conda//, env: shop, python: "3.11" }
policies: { default: { cooldownSec: 60 }, strict: { maxRestarts: 2 } }
services:
  - name: api
    unit: shop-api.service
    command: [python, -m, shop.api, --port, "8000"]
    workingDirectory: /srv/shop/
    environment: { SHOP_MODE: prod, PORT: 8000 }
    health: { url: "http://127.0.0.1:8000/health" }
    policy: default
  - name: worker
    unit: shop-worker@1.service
    command: [/usr/bin/env, python3, worker.py]
    policy: { cooldownSec: 30 }
  - name: cron
    unit: shop-cron.service
    command: [python, cron.py]
    policy: strict
repo: { units: ["deploy/systemd/*.service"] }
`;

function problemsOf(text: string) {
  try {
    parseContract(text, '/tmp/x/medic.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('CONTRACT_INVALID');
    return (err as ContractError).problems;
  }
  throw new Error('expected the contract to be rejected');
}

describe('loading a contract', () => {
  it('resolves prefix, interpreter, argv and the effective policy per service', () => {
    const c = parseContract(VALID, '/tmp/x/medic.yaml');
    expect(c.file).toBe('/tmp/x/medic.yaml');
    expect(c.dir).toBe('/tmp/x');
    expect(c.conda).toEqual({
      root: '/opt/conda',
      env: 'shop',
      python: '3.11',
      prefix: '/opt/conda/envs/shop',
      pythonPath: '/opt/conda/envs/shop/bin/python',
    });
    const [api, worker, cron] = c.services;
    expect(api!.argv).toEqual(['/opt/conda/envs/shop/bin/python', '-m', 'shop.api', '--port', '8000']);
    expect(api!.command[0]).toBe('python');
    expect(api!.workingDirectory).toBe('/srv/shop');
    expect(api!.environment).toEqual({ PORT: '8000', SHOP_MODE: 'prod' });
    expect(api!.health).toEqual({ url: 'http://127.0.0.1:8000/health', intervalSec: 10, timeoutMs: 2000 });
    expect(api!.policyName).toBe('default');
    expect(api!.policy).toEqual({ ...DEFAULT_POLICY, cooldownSec: 60 });
    expect(worker!.argv).toEqual(['/usr/bin/env', 'python3', 'worker.py']);
    expect(worker!.policyName).toBeNull();
    expect(worker!.policy.cooldownSec).toBe(30);
    expect(worker!.health).toBeUndefined();
    expect(cron!.policy.maxRestarts).toBe(2);
    expect(c.repo).toEqual({ units: ['deploy/systemd/*.service'], scripts: [] });
  });

  it('uses an explicit prefix and the policy named default when a service names none', () => {
    const c = parseContract(
      'version: 1\nsupervisor: {kind: process}\nconda: {root: /opt/conda, env: shop, python: "3.11.7", prefix: /srv/env/}\npolicies: {default: {maxRestarts: 5, windowSec: 3600}}\nservices: [{name: a, unit: a.service, command: [python]}]\n',
      'c.yaml',
    );
    expect(c.conda.prefix).toBe('/srv/env');
    expect(c.supervisor).toEqual({ kind: 'process', scope: 'system' });
    expect(c.services[0]!.policy.maxRestarts).toBe(5);
    expect(c.services[0]!.policyName).toBe('default');
  });

  it('uses medic defaults when no policy is named and there is no default policy', () => {
    const c = parseContract(
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices: [{name: a, unit: a.service, command: [python]}]\n',
      'c.yaml',
    );
    expect(c.services[0]!.policy).toEqual(DEFAULT_POLICY);
  });

  it('reports bad YAML with line and column', () => {
    const problems = problemsOf('version: 1\nservices:\n  - name: a\n   unit: [x\n');
    expect(problems[0]!.path).toBe('(yaml)');
    expect(problems[0]!.message).toMatch(/^line \d+, column \d+: /);
    expect(problems[0]!.line).toBeGreaterThan(1);
  });

  it('reports every problem at once, each with its path and line', () => {
    const problems = problemsOf(`version: 1
supervisor: { kind: systemd, scope: global }
conda: { root: opt/conda, env: shop, python: 3.10, colour: blue }
policies: { default: { cooldownSec: 60, windowSec: 5 } }
services:
  - name: api
    unit: "shop api.service"
    command: [python]
    workingDirectory: srv/shop
    environment: { PATH: /bin }
    policy: nope
  - name: api
    unit: shop-api.timer
    command: [sh, -c, x]
    health: { url: "ftp://x" }
    policy: { maxRestarts: 0 }
    restart: always
`);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'conda.colour',
        'conda.python',
        'conda.root',
        'policies.default.windowSec',
        'services.0.environment.PATH',
        'services.0.policy',
        'services.0.unit',
        'services.0.workingDirectory',
        'services.1.command',
        'services.1.health.url',
        'services.1.name',
        'services.1.policy.maxRestarts',
        'services.1.restart',
        'services.1.unit',
        'supervisor.scope',
      ].sort(),
    );
    expect(byPath['conda.colour']!.message).toBe('unknown key');
    expect(byPath['conda.root']!.message).toMatch(/absolute/);
    expect(byPath['conda.python']!.message).toMatch(/quote the version/);
    expect(byPath['services.0.unit']!.message).toMatch(/not a valid systemd unit name/);
    expect(byPath['services.1.unit']!.message).toMatch(/\.service unit/);
    expect(byPath['services.1.name']!.message).toMatch(/duplicate name 'api'/);
    expect(byPath['services.0.policy']!.message).toMatch(/unknown policy 'nope'/);
    expect(byPath['policies.default.windowSec']!.message).toMatch(/can never open/);
    expect(byPath['services.1.restart']!.line).toBe(17);
    expect(byPath['services.0.unit']!.line).toBe(7);
  });

  it('flags duplicate units across services', () => {
    const problems = problemsOf(
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices:\n  - {name: a, unit: a.service, command: [python]}\n  - {name: b, unit: a.service, command: [python]}\n',
    );
    expect(problems).toEqual([
      { path: 'services.1.unit', message: "duplicate unit 'a.service' (also services.0)", line: 6 },
    ]);
  });

  it('throws ContractError naming the file when it cannot be read', async () => {
    await expect(loadContract('/nonexistent/medic.yaml')).rejects.toMatchObject({
      code: 'CONTRACT_INVALID',
      problems: [{ path: '(file)' }],
    });
  });
});

describe('medic contract with an invalid contract', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  const cases: Array<[string, string, RegExp]> = [
    ['bad YAML', 'version: 1\nconda: {root: /x\n', /\(yaml\): line \d+, column \d+/],
    [
      'unknown keys',
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices: [{name: a, unit: a.service, command: [python], user: shop}]\n',
      /services\.0\.user: unknown key/,
    ],
    [
      'relative paths',
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11", prefix: envs/e}\nservices: [{name: a, unit: a.service, command: [python], workingDirectory: app}]\n',
      /conda\.prefix: must be an absolute path[\s\S]*services\.0\.workingDirectory: must be an absolute path/,
    ],
    [
      'bad unit names',
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices: [{name: a, unit: "a b.service", command: [python]}]\n',
      /services\.0\.unit: 'a b\.service' is not a valid systemd unit name/,
    ],
    [
      'duplicate services',
      'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices: [{name: a, unit: a.service, command: [python]}, {name: a, unit: b.service, command: [python]}]\n',
      /services\.1\.name: duplicate name 'a'/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`exits 2 on ${what}, naming the path (check and render)`, async () => {
      const file = join(dir, `${what.replaceAll(' ', '-')}.yaml`);
      await writeFile(file, text);
      const checked = await cli(['contract', 'check', '--contract', file]);
      expect(checked.code).toBe(2);
      expect(checked.stderr).toMatch(message);
      expect(checked.stdout).toBe('');
      const rendered = await cli(['contract', 'render', '--out', join(dir, 'out')], { MEDIC_CONTRACT: file });
      expect(rendered.code).toBe(2);
      expect(rendered.stderr).toMatch(message);
    });
  }

  it('exits 2 when no contract is given', async () => {
    const r = await cli(['contract', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--contract FILE or set MEDIC_CONTRACT/);
  });

  it('exits 2 from the real binary on an invalid contract', async () => {
    const file = await writeContract(dir, 'version: 2\n');
    const err = await run('node', ['bin/medic.mjs', 'contract', 'check', '--contract', file], {
      cwd: join(import.meta.dirname, '../..'),
    }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/version: version must be 1/);
  });
});
