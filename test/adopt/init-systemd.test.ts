/**
 * `medic contract init` against the real systemd user manager: units in the shapes teams run
 * (interpreter path, `conda run`, `/usr/bin/env python`, a symlinked conda root, environment
 * files, `$VAR` in ExecStart, an entry-point script, the base env) become a contract that
 * `medic contract check` accepts with zero findings, unedited; units that do not run Python
 * from a conda prefix are left out with their reason.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/load.js';
import { cli, MAJOR_MINOR, tempDir } from '../contract/helpers.js';
import { type CondaHost, makeCondaHost, startUnits, type UnitShape, unitShapes } from '../helpers/adopt.js';
import { describeSystemd, removeUnit } from '../helpers/systemd.js';

describeSystemd('medic contract init on the real user manager', () => {
  let dir: string;
  let host: CondaHost;
  let shapes: UnitShape[];
  let names: string[] = [];
  const tag = `init${process.pid}`;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = await tempDir('medic-init-');
    host = await makeCondaHost(dir);
    shapes = await unitShapes(host, dir);
    names = await startUnits(tag, shapes);
    env = { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR, HOME: process.env.HOME };
  });
  afterAll(async () => {
    for (const n of names) await removeUnit(n);
  });

  it('writes a contract that contract check accepts with zero findings, with no hand edits', async () => {
    const out = join(dir, 'medic.yaml');
    const init = await cli(
      ['contract', 'init', '--units', `${tag}-*.service`, '--scope', 'user', '--out', out],
      env,
    );
    expect(init.stderr).toContain('left out');
    expect(init.code).toBe(0);
    const check = await cli(['contract', 'check', '--contract', out, '--json'], env);
    expect(JSON.parse(check.stdout).findings).toEqual([]);
    expect(check.code).toBe(0);

    const contract = await loadContract(out);
    expect(contract.conda).toMatchObject({ root: host.root, env: 'shop', python: MAJOR_MINOR });
    const byUnit = new Map(contract.services.map((s) => [s.unit, s]));
    const included = shapes.filter((s) => s.included).map((s) => `${tag}-${s.shape}.service`);
    expect([...byUnit.keys()].sort()).toEqual(included.sort());
    // Every unit with a port got a verified health URL.
    for (const s of shapes.filter((x) => x.port)) {
      expect(byUnit.get(`${tag}-${s.shape}.service`)?.health?.url).toBe(`http://127.0.0.1:${s.port}/healthz`);
    }
  });

  it('infers each shape as the unit runs it, and says so in comments', async () => {
    const out = join(dir, 'shapes.yaml');
    expect(
      (await cli(['contract', 'init', '--units', `${tag}-*`, '--scope', 'user', '--out', out], env)).code,
    ).toBe(0);
    const text = await readFile(out, 'utf8');
    const svc = async (shape: string) =>
      (await loadContract(out)).services.find((s) => s.unit === `${tag}-${shape}.service`)!;
    expect((await svc('direct')).command[0]).toBe('python');
    expect((await svc('direct')).workingDirectory).toBe(host.appDir);
    expect((await svc('direct')).environment).toEqual({ SHOP_MODE: 'prod' });
    expect(text).toContain('left out, they look like secrets (not checked): SHOP_API_TOKEN');
    expect((await svc('direct')).activation).toBe('none');
    expect((await svc('condarun')).command.slice(0, 4)).toEqual([
      `${host.root}/bin/conda`,
      'run',
      '-n',
      'shop',
    ]);
    expect((await svc('env')).command.slice(0, 2)).toEqual(['/usr/bin/env', 'python']);
    expect((await svc('env')).activation).toBe('path');
    expect((await svc('symlinked')).command[0]).toBe('python');
    expect(text).toContain(`${host.linkedRoot}/envs/shop resolves to ${host.root}/envs/shop`);
    expect((await svc('envfile')).activation).toBe('env');
    expect(text).not.toContain('not for the contract');
    expect((await svc('dollar')).command.at(-1)).toMatch(/^\d+$/);
    expect((await svc('script')).command).toEqual([`${host.prefix}/bin/shop-worker`]);
    expect((await svc('base')).command[0]).toBe(`${host.root}/bin/python`);
    expect(text).toContain(`runs conda env 'base' (${host.root})`);
    expect(text).toMatch(new RegExp(`${tag}-shell\\.service: runs a shell`));
    expect(text).toMatch(new RegExp(`${tag}-system\\.service: runs .*, which is not in a conda environment`));
  });

  it('exits 1 and writes nothing when no unit runs Python from a conda prefix', async () => {
    const out = join(dir, 'none.yaml');
    const r = await cli(
      ['contract', 'init', '--units', `${tag}-shell.service`, '--scope', 'user', '--out', out],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('runs a shell');
    await expect(readFile(out)).rejects.toThrow();
  });

  it('refuses to overwrite an existing file without --force', async () => {
    const out = join(dir, 'medic.yaml');
    const r = await cli(['contract', 'init', '--units', `${tag}-*`, '--scope', 'user', '--out', out], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
  });
});
