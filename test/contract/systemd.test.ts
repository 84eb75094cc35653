import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/load.js';
import { checkDrift } from '../../src/drift/check.js';
import type { Finding } from '../../src/drift/types.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  uniqueUnit,
  userUnitDir,
  waitFor,
} from '../helpers/systemd.js';
import { cli, MAJOR_MINOR, makeCondaEnv, tempDir, writeContract } from './helpers.js';

const run = promisify(execFile);
const ROOT_DIR = join(import.meta.dirname, '../..');

describeSystemd('contract drift against the real systemd user manager', () => {
  let base: string;
  let prefix: string;
  let otherPython: string;
  const units: string[] = [];

  beforeAll(async () => {
    base = await tempDir();
    await makeCondaEnv(join(base, 'miniconda3'), 'shop');
    const other = await makeCondaEnv(join(base, 'miniconda3'), 'other', 'script');
    otherPython = join(other, 'bin', 'python');
    // The contract names the symlinked root; units name the real one: not drift.
    await symlink(join(base, 'miniconda3'), join(base, 'conda'));
    prefix = `${base}/conda/envs/shop`;
  });
  afterAll(async () => {
    for (const u of units) await removeUnit(u);
  });

  /** A contract with one service in its own folder. */
  async function contractFile(unit: string, service: Record<string, unknown> = {}): Promise<string> {
    const dir = await tempDir();
    return writeContract(dir, {
      version: 1,
      supervisor: { kind: 'systemd', scope: 'user' },
      conda: { root: `${base}/conda`, env: 'shop', python: MAJOR_MINOR },
      services: [
        {
          name: 'api',
          unit,
          command: ['python', '-m', 'http.server', '8000', '--mode', 'fast', '--greeting', 'hello world'],
          workingDirectory: process.env.HOME,
          environment: { SHOP_MODE: 'prod', PORT: '8000', MODE: 'fast' },
          ...service,
        },
      ],
    });
  }

  async function install(prefixName: string, body: string): Promise<string> {
    const unit = uniqueUnit(prefixName);
    units.push(unit);
    await installUnit(unit, body);
    return unit;
  }

  async function checkJson(
    file: string,
  ): Promise<{ code: number; report: { ok: boolean; checkedAt: string; findings: Finding[] } }> {
    const r = await cli(['contract', 'check', '--contract', file, '--json', '--source', 'systemd']);
    expect(r.stderr).toBe('');
    return { code: r.code, report: JSON.parse(r.stdout) };
  }

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
  it('finds no drift in a unit that spells the contract differently (symlinked root, slashes, $VAR, ${VAR}, ~, quotes, env file)', async () => {
    await writeFile(join(base, 'shop.env'), 'MODE=fast\n');
    const unit = await install(
      'match',
      [
        '[Service]',
        `Environment="CONDA_PREFIX=${base}/miniconda3//envs/shop/" "PATH=${base}/conda/envs/shop/bin/:/usr/bin:/bin"`,
        'Environment=SHOP_MODE=prod PORT=8000',
        `EnvironmentFile=${base}/shop.env`,
        'WorkingDirectory=~',
        `ExecStart=${base}/miniconda3//envs/shop/bin/python -m http.server \${PORT} --mode $MODE --greeting "hello world"`,
        '',
      ].join('\n'),
    );
    const file = await contractFile(unit);
    const { code, report } = await checkJson(file);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(new Date(report.checkedAt).toISOString()).toBe(report.checkedAt);
    expect(code).toBe(0);
  });

  it('reports each drifting field: interpreter, command, environment, working directory', async () => {
    const unit = await install(
      'drift',
      [
        '[Service]',
        'Environment=CONDA_PREFIX=/opt/conda/envs/legacy PORT=8001 MODE=fast',
        'WorkingDirectory=/tmp',
        `ExecStart=${otherPython} -m http.server 8001 --mode fast --greeting "hello world"`,
        '',
      ].join('\n'),
    );
    const { code, report } = await checkJson(await contractFile(unit));
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const byField = Object.fromEntries(report.findings.map((f) => [f.field, f]));
    expect(Object.keys(byField).sort()).toEqual(
      [
        'command',
        'environment.CONDA_PREFIX',
        'environment.PATH',
        'environment.PORT',
        'environment.SHOP_MODE',
        'interpreter',
        'workingDirectory',
      ].sort(),
    );
    expect(byField.interpreter).toMatchObject({
      source: 'systemd',
      service: 'api',
      actual: otherPython,
      severity: 'error',
    });
    expect(byField.interpreter!.expected).toContain(`${prefix}/bin/python`);
    expect(byField['environment.SHOP_MODE']).toMatchObject({ expected: 'prod', actual: '(unset)' });
    expect(byField['environment.CONDA_PREFIX']).toMatchObject({
      expected: prefix,
      actual: '/opt/conda/envs/legacy',
    });
    expect(byField['environment.PORT']).toMatchObject({ expected: '8000', actual: '8001' });
    expect(byField.workingDirectory).toMatchObject({ expected: process.env.HOME, actual: '/tmp' });
    // argv arrays from D-Bus: the argument with a space is one word, and shown so.
    expect(byField.command!.actual).toBe(
      `${otherPython} -m http.server 8001 --mode fast --greeting "hello world"`,
    );
    expect(byField.command!.fix).toMatch(
      new RegExp(
        `medic contract render .* --only dropins --out ~/.config/systemd/user && systemctl --user daemon-reload && systemctl --user restart ${unit.replace('.', '\\.')}$`,
      ),
    );
  });

  it('tells an argument with a space from two arguments (argv arrays, not joined text)', async () => {
    const unit = await install(
      'words',
      [
        '[Service]',
        `Environment="CONDA_PREFIX=${prefix}" "PATH=${prefix}/bin:/usr/bin" SHOP_MODE=prod PORT=8000 MODE=fast`,
        'WorkingDirectory=~',
        `ExecStart=${prefix}/bin/python -m http.server 8000 --mode fast --greeting hello world`,
        '',
      ].join('\n'),
    );
    const { code, report } = await checkJson(await contractFile(unit));
    expect(report.findings).toMatchObject([
      {
        field: 'command',
        expected: `${prefix}/bin/python -m http.server 8000 --mode fast --greeting "hello world"`,
        actual: `${prefix}/bin/python -m http.server 8000 --mode fast --greeting hello world`,
      },
    ]);
    expect(code).toBe(1);
  });

  it('expands a whole-word $VAR into the words of its value, as systemd does at exec time', async () => {
    const unit = await install(
      'split',
      [
        '[Service]',
        `Environment="CONDA_PREFIX=${prefix}" "PATH=${prefix}/bin:/usr/bin" SHOP_MODE=prod PORT=8000 MODE=fast`,
        'Environment="ARGS=8000 --mode fast" "GREETING=hello world"',
        'WorkingDirectory=~',
        `ExecStart=${prefix}/bin/python -m http.server $ARGS --greeting \${GREETING}`,
        '',
      ].join('\n'),
    );
    const { code, report } = await checkJson(await contractFile(unit));
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('reports a unit systemd does not know', async () => {
    const unit = uniqueUnit('missing');
    const { code, report } = await checkJson(await contractFile(unit));
    expect(code).toBe(1);
    expect(report.findings).toMatchObject([
      { field: 'unit', actual: 'LoadState=not-found', severity: 'error' },
    ]);
  });

  it('render → install → daemon-reload makes check pass, and the service then runs in the contract env with its exact arguments', async () => {
    const unit = await install(
      'roundtrip',
      '[Service]\nType=oneshot\nExecStart=/usr/bin/python3 -c pass\nWorkingDirectory=/tmp\n',
    );
    const work = join(base, 'work dir');
    await mkdir(work, { recursive: true });
    const out = join(base, `out-${unit}.txt`);
    const script =
      "import os,sys; open(sys.argv[1],'w').write('\\n'.join([os.environ['CONDA_PREFIX'], os.environ['SHOP_MODE'], os.getcwd(), os.environ['PATH'].split(':')[0], sys.prefix] + sys.argv[2:]))";
    const file = await contractFile(unit, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
      command: ['python', '-c', script, out, 'a b', '$HOME', '${PORT}', '100%', 'say "hi"', ';', ''],
      workingDirectory: work,
    });
    const before = await checkJson(file);
    expect(before.code).toBe(1);

    const rendered = await cli([
      'contract',
      'render',
      '--contract',
      file,
      '--only',
      'dropins',
      '--out',
      userUnitDir(),
    ]);
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain(`${unit}.d/medic-runtime.conf`);
    await systemctl('daemon-reload');

    const after = await checkJson(file);
    expect(after.report.findings).toEqual([]);
    expect(after.code).toBe(0);

    await systemctl('start', unit);
    const lines = (await waitFor(() => readFile(out, 'utf8').catch(() => ''))).split('\n');
    expect(lines).toEqual([
      prefix,
      'prod',
      work,
      `${prefix}/bin`,
      expect.any(String),
      'a b',
      '$HOME',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
      '${PORT}',
      '100%',
      'say "hi"',
      ';',
      '',
    ]);
  });

  it('prints a table grouped by service and exits 1 from the real binary on drift', async () => {
    const unit = await install('table', `[Service]\nExecStart=${otherPython} -m http.server\n`);
    const file = await contractFile(unit);
    const human = await cli(['contract', 'check', '--contract', file, '--source', 'systemd']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^DRIFT: \d+ error\(s\)/);
    expect(human.stdout).toContain(`api (${unit})`);
    expect(human.stdout).toMatch(/error\s+systemd\s+interpreter\s/);
    expect(human.stdout).toContain('fix: medic contract render');

    const child = await run('node', ['bin/medic.mjs', 'contract', 'check', '--json'], {
      cwd: ROOT_DIR,
      env: { ...process.env, MEDIC_CONTRACT: file },
    }).catch((e) => e);
    expect(child.code).toBe(1);
    expect(JSON.parse(child.stdout).ok).toBe(false);
  });

  it('exits 2 naming the source when systemd cannot be reached', async () => {
    const unit = await install('unreachable', '[Service]\nExecStart=/bin/true\n');
    const file = await contractFile(unit);
    const child = await run(
      'node',
      ['bin/medic.mjs', 'contract', 'check', '--contract', file, '--source', 'systemd'],
      {
        cwd: ROOT_DIR,
        env: { ...process.env, XDG_RUNTIME_DIR: join(base, 'no-runtime-dir'), DBUS_SESSION_BUS_ADDRESS: '' },
      },
    ).catch((e) => e);
    expect(child.code).toBe(2);
    expect(child.stderr).toContain("drift source 'systemd' could not be read");
  });

  it('checks all three sources together through checkDrift', async () => {
    const unit = await install('all', `[Service]\nExecStart=${otherPython} -m http.server\n`);
    const contract = await loadContract(await contractFile(unit));
    const report = await checkDrift(contract, { env: { HOME: process.env.HOME } });
    expect(new Set(report.findings.map((f) => f.source))).toEqual(new Set(['systemd']));
    const fsOnly = await checkDrift(
      { ...contract, conda: { ...contract.conda, python: '2.7' } },
      { sources: ['fs'] },
    );
    expect(fsOnly.findings.map((f) => f.field)).toEqual(['python.version']);
  });
});

describe('the systemd source without a manager', () => {
  it('raises DriftSourceError when the unit properties cannot be read', async () => {
    const dir = await tempDir();
    const contract = await loadContract(
      await writeContract(
        dir,
        'version: 1\nsupervisor: {kind: systemd, scope: user}\nconda: {root: /c, env: e, python: "3.11"}\nservices: [{name: a, unit: a.service, command: [python]}]\n',
      ),
    );
    await expect(
      checkDrift(contract, {
        sources: ['systemd'],
        readUnits: () => Promise.reject(new Error('ListUnitsByNames timed out after 2000 ms')),
      }),
    ).rejects.toMatchObject({ code: 'DRIFT_SOURCE_UNREADABLE', source: 'systemd' });
  });
});
