/**
 * `medic install` / `medic uninstall` end to end against the real systemd user manager: the
 * contract comes from `medic contract init` on units in the adoption shapes, the install gate
 * runs the drift check, the unit starts, `/readyz` answers, the printed admin token works, the
 * files have their modes; uninstall keeps the store, `--purge` removes it.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli, tempDir } from '../contract/helpers.js';
import { freePort, makeCondaHost, startUnits, unitShapes } from '../helpers/adopt.js';
import { describeSystemd, removeUnit, systemctl, userUnitDir } from '../helpers/systemd.js';

const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

describeSystemd('medic install / uninstall on the real user manager', () => {
  let dir: string;
  let contract: string;
  let env: Record<string, string | undefined>;
  let names: string[] = [];
  const tag = `inst${process.pid}`;
  const unit = `medic-${tag}.service`;

  beforeAll(async () => {
    dir = await tempDir('medic-install-');
    const host = await makeCondaHost(dir);
    const shapes = (await unitShapes(host, dir)).filter((s) =>
      ['direct', 'condarun', 'env'].includes(s.shape),
    );
    names = await startUnits(tag, shapes);
    env = {
      HOME: process.env.HOME,
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
      XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME,
      XDG_STATE_HOME: join(dir, 'state'),
    };
    contract = join(dir, 'medic.yaml');
    const init = await cli(
      ['contract', 'init', '--units', `${tag}-*`, '--scope', 'user', '--out', contract],
      env,
    );
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await removeUnit(unit);
    for (const n of names) await removeUnit(n);
  });

  it('--dry-run prints every folder, file and command and writes nothing', async () => {
    const r = await cli(
      ['install', '--contract', contract, '--unit', unit, '--port', '4999', '--dry-run'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const unitFile = join(userUnitDir(), unit);
    expect(r.stdout).toContain(`--- ${unitFile} (mode 0644)`);
    expect(r.stdout).toContain('Restart=on-failure');
    expect(r.stdout).toContain('NoNewPrivileges=yes');
    expect(r.stdout).toContain(`ReadWritePaths=${join(dir, 'state', `medic-${tag}`)}`);
    expect(r.stdout).toMatch(/\.env \(mode 0600, kept if it exists\)/);
    expect(r.stdout).toContain(`MEDIC_CONTRACT=${contract}`);
    expect(r.stdout).toContain('SLACK_BOT_TOKEN=');
    expect(r.stdout).toContain(`systemctl --user enable --now ${unit}`);
    await expect(stat(unitFile)).rejects.toThrow();
    await expect(stat(join(dir, 'state'))).rejects.toThrow();
  });

  it('refuses to install when the contract does not match the host (exit 1, nothing written)', async () => {
    const drifted = join(dir, 'drifted.yaml');
    await writeFile(drifted, (await readFile(contract, 'utf8')).replace(/python: "[\d.]+"/, 'python: "2.7"'));
    const r = await cli(['install', '--contract', drifted, '--unit', unit, '--port', '4999'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing');
    expect(r.stdout).toContain('python.version');
    await expect(stat(join(userUnitDir(), unit))).rejects.toThrow();
  });

  it('installs: the unit starts, /readyz answers, the token works; uninstall keeps the store, --purge removes it', async () => {
    const port = await freePort();
    const r = await cli(
      ['install', '--contract', contract, '--unit', unit, '--port', String(port), '--ready-timeout', '90'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/medic is ready at http:\/\/127\.0\.0\.1:\d+ \(\/readyz 200/);
    expect((await systemctl('is-active', unit)).trim()).toBe('active');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const token = r.stdout.trim().split('\n').at(-1)!;
    const gql = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    const body = (await gql.json()) as { data: { services: { name: string }[] } };
    expect(body.data.services.map((s) => s.name).sort()).toEqual(
      names.map((n) => n.replace('.service', '')).sort(),
    );

    const stateDir = join(dir, 'state', `medic-${tag}`);
    const envFile = join(process.env.XDG_CONFIG_HOME!, `medic-${tag}`, `medic-${tag}.env`);
    expect(await mode(stateDir)).toBe('700');
    expect(await mode(join(stateDir, `medic-${tag}.db`))).toBe('600');
    expect(await mode(envFile)).toBe('600');

    // Installing again keeps the env file and the token (no second admin token printed).
    await writeFile(envFile, `${await readFile(envFile, 'utf8')}# operator note\n`);
    const again = await cli(
      ['install', '--contract', contract, '--unit', unit, '--port', String(port), '--ready-timeout', '90'],
      env,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('an active admin token exists already');
    expect(await readFile(envFile, 'utf8')).toContain('# operator note');

    const un = await cli(['uninstall', '--unit', unit], env);
    expect(un.code, un.stderr).toBe(0);
    await expect(stat(join(userUnitDir(), unit))).rejects.toThrow();
    expect((await systemctl('is-active', unit).catch((e: { stdout: string }) => e.stdout)).trim()).not.toBe(
      'active',
    );
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
    expect((await stat(join(stateDir, `medic-${tag}.db`))).isFile()).toBe(true);

    // --purge removes the env file and the store, but not a contract kept next to the env file.
    const kept = join(process.env.XDG_CONFIG_HOME!, `medic-${tag}`, 'contract.yaml');
    await writeFile(kept, await readFile(contract, 'utf8'));
    const purge = await cli(['uninstall', '--unit', unit, '--scope', 'user', '--purge'], env);
    expect(purge.code, purge.stderr).toBe(0);
    await expect(stat(stateDir)).rejects.toThrow();
    await expect(stat(envFile)).rejects.toThrow();
    expect((await stat(kept)).isFile()).toBe(true);
  });
});
