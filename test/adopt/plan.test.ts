import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planContract } from '../../src/adopt/init/plan.js';
import type { UnitProperties } from '../../src/adopt/init/types.js';
import { parseContract } from '../../src/contract/load.js';
import { condaSpec, fakeHost, unit } from './fake-host.js';

const SHOP = '/opt/miniconda3/envs/shop';
const ML = '/opt/miniconda3/envs/ml';
const base = {
  scope: 'system' as const,
  callerEnv: {},
  probe: false,
  commandLine: 'medic contract init --units x',
};

describe('contract init: the whole contract', () => {
  it('takes the environment most units run, pins the others by path, and lists what it left out', async () => {
    const units = [
      unit('a.service', [`${SHOP}/bin/python`, 'a.py']),
      unit('b.service', ['/opt/conda/envs/shop/bin/python', 'b.py']),
      unit('c.service', [`${ML}/bin/python`, 'c.py']),
      unit('d.service', ['/usr/bin/node', 'd.js']),
    ];
    const plan = await planContract(units, fakeHost(condaSpec()), base);
    expect(plan.conda).toMatchObject({ env: 'shop', prefix: SHOP });
    expect(plan.python).toBe('3.11');
    expect(plan.pythonFrom).toBe(`${SHOP}/bin/python reports 3.11.7; conda-meta agrees (python-3.11.7)`);
    const contract = parseContract(plan.text!, '/tmp/x.yaml');
    expect(contract.services.map((s) => [s.unit, s.command[0]])).toEqual([
      ['a.service', 'python'],
      ['b.service', 'python'],
      ['c.service', `${ML}/bin/python`],
    ]);
    expect(plan.excluded).toEqual([{ unit: 'd.service', reason: 'runs /usr/bin/node, not Python' }]);
    expect(plan.text).toContain('#   d.service: runs /usr/bin/node, not Python');
    expect(plan.text).toContain(`runs conda env 'ml' (${ML}), not this contract's 'shop'`);
  });

  it('--env picks another environment by name or prefix', async () => {
    const units = [unit('a.service', [`${SHOP}/bin/python`]), unit('c.service', [`${ML}/bin/python`])];
    expect((await planContract(units, fakeHost(condaSpec()), { ...base, env: 'ml' })).python).toBe('3.10');
    expect((await planContract(units, fakeHost(condaSpec()), { ...base, env: `${ML}/` })).conda?.env).toBe(
      'ml',
    );
    const none = await planContract(units, fakeHost(condaSpec()), { ...base, env: 'nope' });
    expect(none.text).toBeNull();
    expect(none.excluded.at(-1)?.reason).toMatch(/--env nope matches no unit's environment/);
  });

  it('sets activation from what the unit already carries', async () => {
    const units = [
      unit('a.service', [`${SHOP}/bin/python`], {
        environment: [`CONDA_PREFIX=${SHOP}`, `PATH=${SHOP}/bin:/usr/bin`],
      }),
      unit('b.service', ['/usr/bin/env', 'python'], {
        environment: ['PATH=/opt/conda/envs/shop/bin:/usr/bin'],
      }),
      unit('c.service', [`${SHOP}/bin/python`], { environment: [`PATH=/usr/bin:${SHOP}/bin`] }),
    ];
    const plan = await planContract(units, fakeHost(condaSpec()), base);
    expect(plan.services.map((s) => s.activation)).toEqual(['env', 'path', 'none']);
    const contract = parseContract(plan.text!, '/tmp/x.yaml');
    expect(contract.services.map((s) => s.activation)).toEqual(['env', 'path', 'none']);
  });

  it('falls back to conda-meta for the Python version when the interpreter does not run', async () => {
    const spec = condaSpec();
    delete spec.versions![`${SHOP}/bin/python`];
    const plan = await planContract([unit('a.service', [`${SHOP}/bin/python`])], fakeHost(spec), base);
    expect(plan.python).toBe('3.11');
    expect(plan.pythonFrom).toMatch(/^conda-meta\/python-3.11.7/);
  });

  it('writes nothing when no unit qualifies', async () => {
    const plan = await planContract([unit('s.service', ['/bin/sh', '-c', 'x'])], fakeHost(condaSpec()), base);
    expect(plan.text).toBeNull();
  });

  // Words systemd could hand us: spaces, quotes, $, %, #, YAML indicators, unicode.
  const word = fc.string({
    unit: fc.constantFrom('a', ' ', '"', "'", '$', '%', '#', ':', '-', '{', '[', '\\', 'é', '8', '\n'),
  });
  const env = fc.array(
    fc.tuple(fc.constantFrom('MODE', 'PORT', 'X_PORT', 'API_TOKEN', 'PATH', 'bad-name', 'HOST'), word),
  );
  const shape = fc.record({
    program: fc.constantFrom(
      `${SHOP}/bin/python`,
      `/opt/conda/envs/shop/bin/python`,
      `${ML}/bin/python`,
      '/usr/bin/env',
      '/opt/miniconda3/bin/conda',
      '/bin/sh',
      '/usr/bin/python3',
    ),
    args: fc.array(word, { maxLength: 5 }),
    env,
    wd: fc.constantFrom('', '/srv/app', '!/root', '~', '!/srv/x y'),
  });

  it('always writes a contract that loads, names every unit once (service or left out), and is deterministic', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 6 }), async (shapes) => {
        const units: UnitProperties[] = shapes.map((s, i) => {
          const argv =
            s.program === '/usr/bin/env'
              ? [s.program, 'python', ...s.args]
              : s.program.endsWith('conda')
                ? [s.program, 'run', '-n', 'shop', 'python', ...s.args]
                : [s.program, ...s.args];
          return unit(`u${i}.service`, argv, {
            environment: s.env.map(([k, v]) => `${k}=${v}`),
            workingDirectory: s.wd,
          });
        });
        const host = fakeHost(condaSpec());
        const plan = await planContract(units, host, base);
        const named = [...plan.services.map((s) => s.unit), ...plan.excluded.map((e) => e.unit)].sort();
        expect(named).toEqual(units.map((u) => u.id).sort());
        if (plan.text === null) return;
        const contract = parseContract(plan.text, '/tmp/x.yaml');
        expect(contract.services.map((s) => s.unit)).toEqual(plan.services.map((s) => s.unit));
        expect((await planContract(units, host, base)).text).toBe(plan.text);
      }),
      { numRuns: 200 },
    );
  });
});
