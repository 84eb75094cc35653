import { describe, expect, it } from 'vitest';
import { inferUnit, serviceName } from '../../src/adopt/init/infer.js';
import type { UnitProperties } from '../../src/adopt/init/types.js';
import { condaSpec, fakeHost, unit } from './fake-host.js';

const SHOP = '/opt/miniconda3/envs/shop';
const opts = { scope: 'system' as const, callerEnv: {}, probe: false };

async function infer(u: UnitProperties, spec = condaSpec()) {
  return inferUnit(u, fakeHost(spec), opts);
}
async function included(u: UnitProperties, spec = condaSpec()) {
  const r = await infer(u, spec);
  if (!r.ok) throw new Error(`left out: ${r.excluded.reason}`);
  return r.service;
}
async function reason(u: UnitProperties, spec = condaSpec()) {
  const r = await infer(u, spec);
  if (r.ok) throw new Error('unexpectedly included');
  return r.excluded.reason;
}

describe('contract init: which units run Python from a conda prefix', () => {
  it('recognises <root>/envs/<env>/bin/python and writes `python` for it', async () => {
    const s = await included(unit('api.service', [`${SHOP}/bin/python`, '-m', 'shop.api']));
    expect(s.conda).toMatchObject({
      root: '/opt/miniconda3',
      env: 'shop',
      prefix: SHOP,
      explicitPrefix: false,
    });
    expect(s.command).toEqual(['python', '-m', 'shop.api']);
  });

  it('keeps a symlinked root as the unit spells it and notes where it resolves', async () => {
    const s = await included(unit('api.service', ['/opt/conda/envs/shop/bin/python', 'app.py']));
    expect(s.conda).toMatchObject({ root: '/opt/conda', prefix: '/opt/conda/envs/shop', realPrefix: SHOP });
    expect(s.command[0]).toBe('python');
    expect(s.notes.join('\n')).toContain(`/opt/conda/envs/shop resolves to ${SHOP}`);
  });

  it('recognises the base environment: the root is its own prefix', async () => {
    const s = await included(unit('b.service', ['/opt/miniconda3/bin/python', 'x.py']));
    expect(s.conda).toMatchObject({
      root: '/opt/miniconda3',
      env: 'base',
      prefix: '/opt/miniconda3',
      explicitPrefix: true,
    });
  });

  it('recognises an environment made with conda create -p (explicit prefix)', async () => {
    const spec = condaSpec({
      dirs: ['/srv/app/env/conda-meta'],
      executables: { '/srv/app/env/bin/python': '' },
    });
    const s = await included(unit('p.service', ['/srv/app/env/bin/python', 'x.py']), spec);
    expect(s.conda).toMatchObject({
      env: 'env',
      prefix: '/srv/app/env',
      explicitPrefix: true,
      root: '/srv/app',
    });
  });

  it('follows an interpreter symlink with another name into its prefix', async () => {
    const spec = condaSpec({
      links: { '/usr/local/bin/shop-python': `${SHOP}/bin/python3.11` },
      executables: { [`${SHOP}/bin/python3.11`]: '' },
    });
    const s = await included(unit('l.service', ['/usr/local/bin/shop-python', 'x.py']), spec);
    expect(s.conda.prefix).toBe(SHOP);
    expect(s.command[0]).toBe('/usr/local/bin/shop-python');
  });

  it('recognises an entry-point script by its shebang', async () => {
    const s = await included(unit('g.service', [`${SHOP}/bin/gunicorn`, '-b', '127.0.0.1:8000', 'app:app']));
    expect(s.launch).toEqual({ kind: 'script', script: `${SHOP}/bin/gunicorn` });
    expect(s.command[0]).toBe(`${SHOP}/bin/gunicorn`);
    expect(s.health?.url).toBe('http://127.0.0.1:8000/health');
  });

  it('recognises conda run -n, -p, --name=, and no selector (base)', async () => {
    const conda = '/opt/miniconda3/bin/conda';
    const n = await included(
      unit('a.service', [conda, 'run', '-n', 'shop', '--no-capture-output', 'python', 'x.py']),
    );
    expect(n.conda.prefix).toBe(SHOP);
    expect(n.launch).toMatchObject({ kind: 'conda-run', selector: '-n shop' });
    expect(n.command).toEqual([conda, 'run', '-n', 'shop', '--no-capture-output', 'python', 'x.py']);
    expect(
      (await included(unit('b.service', [conda, 'run', '-p', SHOP, 'python', 'x.py']))).conda.prefix,
    ).toBe(SHOP);
    expect((await included(unit('c.service', [conda, 'run', '--name=ml', 'python', 'x.py']))).conda.env).toBe(
      'ml',
    );
    expect((await included(unit('d.service', [conda, 'run', 'python', 'x.py']))).conda.env).toBe('base');
    expect(
      (await included(unit('e.service', [conda, 'run', '-n', 'shop', 'gunicorn', 'app:app']))).conda.env,
    ).toBe('shop');
  });

  it('resolves /usr/bin/env python on the PATH the unit gives it', async () => {
    const s = await included(
      unit('e.service', ['/usr/bin/env', 'python', 'x.py'], { environment: [`PATH=${SHOP}/bin:/usr/bin`] }),
    );
    expect(s.interpreter).toBe(`${SHOP}/bin/python`);
    expect(s.command).toEqual(['/usr/bin/env', 'python', 'x.py']);
    const assigned = await included(
      unit('f.service', ['/usr/bin/env', '-u', 'X', `PATH=${SHOP}/bin`, 'python', 'x.py']),
    );
    expect(assigned.launch).toMatchObject({ kind: 'env', pathFrom: 'env PATH=… in ExecStart' });
    const split = await included(
      unit('g.service', ['/usr/bin/env', '-S', 'python -u x.py'], { environment: [`PATH=${SHOP}/bin`] }),
    );
    expect(split.conda.env).toBe('shop');
  });

  it('gives the reason for every unit it leaves out', async () => {
    expect(await reason(unit('s.service', ['/bin/sh', '-c', 'exec python x.py']))).toMatch(/^runs a shell/);
    expect(await reason(unit('n.service', ['/usr/bin/node', 'x.js']))).toBe('runs /usr/bin/node, not Python');
    expect(await reason(unit('y.service', ['/usr/bin/python3', 'x.py']))).toMatch(
      /not in a conda environment/,
    );
    expect(await reason(unit('e.service', ['/usr/bin/env', 'python', 'x.py']))).toMatch(
      /python is not on PATH \(systemd's default PATH/,
    );
    expect(
      await reason(unit('c.service', ['/opt/miniconda3/bin/conda', 'run', '-n', 'nope', 'python'])),
    ).toMatch(/does not exist/);
    expect(await reason(unit('m.service', [`${SHOP}/bin/python`], { loadState: 'masked' }))).toBe(
      'LoadState=masked: systemd cannot run it',
    );
    expect(await reason(unit('x.service', [], { execStart: [] }))).toMatch(/no ExecStart/);
    expect(await reason(unit('t@.service', [`${SHOP}/bin/python`]))).toMatch(/template/);
  });

  it('expands $VAR in ExecStart from the unit environment, as the drift check compares it', async () => {
    const s = await included(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
      unit('v.service', [`${SHOP}/bin/python`, 'x.py', '--port', '${PORT}', '--cost', '$$5'], {
        environment: ['PORT=8000'],
      }),
    );
    expect(s.command).toEqual(['python', 'x.py', '--port', '8000', '--cost', '$5']);
  });

  it('copies Environment= (effective values) but not secrets, reserved keys or environment files', async () => {
    const spec = condaSpec({
      files: { '/etc/shop.env': 'MODE=from-file\nDB_URL=postgres://x\nAPI_KEY=k\n' },
    });
    const s = await included(
      unit('v.service', [`${SHOP}/bin/python`, 'x.py'], {
        environment: ['MODE=inline', 'LEVEL=3', 'SLACK_TOKEN=t', `CONDA_PREFIX=${SHOP}`],
        environmentFiles: [{ path: '/etc/shop.env', optional: false }],
      }),
      spec,
    );
    expect(s.environment).toEqual({ MODE: 'from-file', LEVEL: '3' });
    expect(s.notes.join('\n')).toContain('SLACK_TOKEN');
    expect(s.effectiveEnv.DB_URL).toBe('postgres://x');
  });

  it('pins WorkingDirectory, but not the user manager default (!<home>)', async () => {
    const wd = await included(
      unit('w.service', [`${SHOP}/bin/python`], {
        workingDirectory: '/srv//shop/',
        workingDirectoryOptional: true,
      }),
    );
    expect(wd.workingDirectory).toBe('/srv/shop');
    const user = await inferUnit(
      unit('u.service', [`${SHOP}/bin/python`], {
        workingDirectory: '/home/ann',
        workingDirectoryOptional: true,
      }),
      fakeHost(condaSpec()),
      {
        scope: 'user',
        callerEnv: { HOME: '/home/ann' },
      },
    );
    expect(user.ok && user.service.workingDirectory).toBeUndefined();
  });

  it('writes a health URL only when it answered 2xx, and says what was tried', async () => {
    const host = fakeHost(condaSpec({ http: { 'http://127.0.0.1:8000/health': 200 } }));
    const r = await inferUnit(unit('h.service', [`${SHOP}/bin/python`, 'x.py', '--port', '8000']), host, {
      ...opts,
      probe: true,
    });
    expect(r.ok && r.service.health).toEqual({
      url: 'http://127.0.0.1:8000/health',
      from: '--port 8000 in ExecStart',
      verified: true,
    });
    expect(host.probed).toEqual(['http://127.0.0.1:8000/healthz', 'http://127.0.0.1:8000/health']);
    const none = await inferUnit(unit('h.service', [`${SHOP}/bin/python`, 'x.py', '--port', '9000']), host, {
      ...opts,
      probe: true,
    });
    expect(none.ok && none.service.health?.verified).toBe(false);
    const remote = await inferUnit(unit('h.service', [`${SHOP}/bin/python`, '--bind', '10.0.0.5:80']), host, {
      ...opts,
      probe: true,
    });
    expect(remote.ok && remote.service.health?.tried).toMatch(/not loopback/);
    expect(host.probed).not.toContain('http://10.0.0.5:80/healthz');
  });

  it('derives a valid service name from the unit', () => {
    expect(serviceName('shop-api.service')).toBe('shop-api');
    expect(serviceName('worker@2.service')).toBe('worker-2');
    expect(serviceName('-x.y.service')).toBe('x-y');
  });
});
