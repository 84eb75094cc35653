import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/load.js';
import { checkDrift } from '../../src/drift/check.js';
import { glob, splitNegations } from '../../src/drift/glob.js';
import { MAJOR_MINOR, makeCondaEnv, tempDir, writeContract } from './helpers.js';

const run = promisify(execFile);
const repoOnly = { sources: ['repo'] as const };

let base: string;
let repo: string;

async function put(rel: string, text: string) {
  await mkdir(join(repo, rel, '..'), { recursive: true });
  await writeFile(join(repo, rel), text);
}

async function contract(extra: { units?: string[]; scripts?: string[] } = {}) {
  const file = await writeContract(repo, {
    version: 1,
    supervisor: { kind: 'systemd', scope: 'user' },
    conda: { root: `${base}/conda`, env: 'shop', python: MAJOR_MINOR },
    services: [{ name: 'api', unit: 'shop-api.service', command: ['python', '-m', 'shop.api'] }],
    repo: {
      units: extra.units ?? ['deploy/systemd/*.service'],
      scripts: extra.scripts ?? ['deploy/*.sh', 'bin/**/*.sh'],
    },
  });
  return loadContract(file);
}

beforeEach(async () => {
  base = await tempDir();
  repo = join(base, 'repo');
  await mkdir(repo);
  await makeCondaEnv(join(base, 'miniconda3'), 'shop');
  await symlink(join(base, 'miniconda3'), join(base, 'conda'));
});

describe('repo drift', () => {
  it('finds nothing in templates and scripts that name the contract env in equivalent spellings', async () => {
    await put(
      'deploy/systemd/shop-api.service',
      [
        '[Service]',
        `Environment=CONDA_ROOT=${base}/miniconda3`,
        `Environment="CONDA_PREFIX=${base}/conda/envs/shop/" PATH=${base}/conda//envs/shop/bin:/usr/bin`,
        `ExecStart=${base}/miniconda3//envs/shop/bin/python3.11 -m shop.api \\`,
        '  --port 8000',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
        'ExecStartPre=${CONDA_ROOT}/envs/shop/bin/python -m shop.migrate',
        'EnvironmentFile=-/etc/shop/env',
        `# ExecStart=${base}/conda/envs/old/bin/python`,
        '',
      ].join('\n'),
    );
    await put(
      'deploy/release.sh',
      [
        '#!/bin/sh',
        `ROOT="${base}/conda"`,
        '. ./runtime.env',
        'conda activate shop',
        `conda activate ${base}/miniconda3/envs/shop/`,
        'export CONDA_PREFIX="$ROOT/envs/shop"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
        '"${ROOT}/envs/shop/bin/python" -m shop.migrate',
        '~/conda/envs/shop/bin/python -V',
        'conda run -n shop python -m shop.check',
        '"$MEDIC_PYTHON" -m shop.smoke # conda activate old',
        '',
      ].join('\n'),
    );
    await put('bin/tools/nested/ok.sh', 'conda activate shop\n');
    const report = await checkDrift(await contract(), { ...repoOnly, env: { HOME: base } });
    expect(report).toMatchObject({ ok: true, findings: [] });
  });

  it('flags unit template lines that name another env or interpreter, attributed to the service', async () => {
    await put(
      'deploy/systemd/shop-api.service',
      [
        '[Service]',
        'Environment=CONDA_PREFIX=/opt/anaconda3/envs/shop',
        `ExecStart=${base}/conda/envs/old/bin/python -m shop.api`,
        'EnvironmentFile=/opt/conda/envs/legacy/etc/shop.env',
      ].join('\n'),
    );
    const report = await checkDrift(await contract({ scripts: [] }), repoOnly);
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => [f.service, f.field, f.actual, f.severity])).toEqual([
      [
        'api',
        'deploy/systemd/shop-api.service:2 Environment=CONDA_PREFIX',
        '/opt/anaconda3/envs/shop',
        'error',
      ],
      ['api', 'deploy/systemd/shop-api.service:3 ExecStart=', `${base}/conda/envs/old`, 'error'],
      ['api', 'deploy/systemd/shop-api.service:4 EnvironmentFile=', '/opt/conda/envs/legacy', 'error'],
    ]);
    expect(report.findings[0]!.expected).toBe(`${base}/conda/envs/shop`);
  });

  it('flags deploy scripts: conda activate, conda run, CONDA_PREFIX and hard-coded interpreters', async () => {
    await put(
      'deploy/release.sh',
      [
        '#!/bin/sh',
        'conda activate legacy',
        `${base}/conda/envs/py39/bin/python -m shop.migrate`,
        'export CONDA_PREFIX=/opt/other',
        'conda run -n legacy python x.py',
        '/usr/bin/python3 tools/report.py',
      ].join('\n'),
    );
    const report = await checkDrift(await contract({ units: [], scripts: ['deploy/*.sh'] }), repoOnly);
    expect(report.findings.map((f) => [f.service, f.field, f.expected, f.actual, f.severity])).toEqual([
      ['*', 'deploy/release.sh:2 conda activate', 'shop', 'legacy', 'error'],
      ['*', 'deploy/release.sh:3 interpreter', `${base}/conda/envs/shop`, `${base}/conda/envs/py39`, 'error'],
      ['*', 'deploy/release.sh:4 CONDA_PREFIX=', `${base}/conda/envs/shop`, '/opt/other', 'error'],
      ['*', 'deploy/release.sh:5 conda run', 'shop', 'legacy', 'error'],
      [
        '*',
        'deploy/release.sh:6 interpreter',
        `${base}/conda/envs/shop/bin/python`,
        '/usr/bin/python3',
        'warning',
      ],
    ]);
  });

  it('gives fixes that, when run, remove the finding', async () => {
    await put(
      'deploy/release.sh',
      `conda activate legacy && ${base}/conda/envs/py39/bin/python -m x\nexport CONDA_PREFIX='/opt/a|b'\n`,
    );
    const c = await contract({ units: [], scripts: ['deploy/*.sh'] });
    const before = await checkDrift(c, repoOnly);
    expect(before.findings).toHaveLength(3);
    for (const f of before.findings) await run('sh', ['-c', f.fix]);
    expect((await checkDrift(c, repoOnly)).findings).toEqual([]);
  });

  it('warns about a glob that matches nothing', async () => {
    const report = await checkDrift(
      await contract({ units: ['deploy/systemd/*.servce'], scripts: [] }),
      repoOnly,
    );
    expect(report.ok).toBe(true);
    expect(report.findings).toMatchObject([
      { field: 'repo.units.0', actual: 'no match', severity: 'warning' },
    ]);
  });

  it('globs braces, extglob negation and ** through tinyglobby', async () => {
    await put('deploy/api.service', '');
    await put('deploy/api.timer', '');
    await put('deploy/api.socket', '');
    await put('deploy/old/legacy.service', '');
    await put('deploy/x/y/z/deep.service', '');
    expect(await glob('deploy/*.{service,timer}', repo)).toEqual([
      join(repo, 'deploy/api.service'),
      join(repo, 'deploy/api.timer'),
    ]);
    expect(await glob('deploy/!(*.socket)', repo)).toEqual([
      join(repo, 'deploy/api.service'),
      join(repo, 'deploy/api.timer'),
    ]);
    expect(await glob('deploy/**/*.service', repo)).toEqual([
      join(repo, 'deploy/api.service'),
      join(repo, 'deploy/old/legacy.service'),
      join(repo, 'deploy/x/y/z/deep.service'),
    ]);
    expect(await glob('deploy/**/*.service', repo, ['deploy/old/**'])).toEqual([
      join(repo, 'deploy/api.service'),
      join(repo, 'deploy/x/y/z/deep.service'),
    ]);
    expect(splitNegations(['a/*', '!a/old', '!(x).sh'])).toEqual({
      positive: [
        { index: 0, pattern: 'a/*' },
        { index: 2, pattern: '!(x).sh' },
      ],
      ignore: ['a/old'],
    });
  });

  it('checks every file a brace pattern names and none a negated entry excludes', async () => {
    await put(
      'deploy/systemd/api.service',
      `[Service]\nExecStart=${base}/conda/envs/old/bin/python -m api\n`,
    );
    await put('deploy/systemd/api.timer', '[Timer]\nOnCalendar=daily\n');
    await put(
      'deploy/systemd/old.service',
      `[Service]\nExecStart=${base}/conda/envs/old/bin/python -m old\n`,
    );
    const report = await checkDrift(
      await contract({ units: ['deploy/systemd/*.{service,timer}', '!deploy/systemd/old.*'], scripts: [] }),
      repoOnly,
    );
    expect(report.findings.map((f) => f.field)).toEqual(['deploy/systemd/api.service:2 ExecStart=']);
    expect(report.findings[0].actual).toContain('envs/old');
    expect(JSON.stringify(report.findings)).not.toContain('old.service');
  });

  it('globs *, ? and ** relative to the contract folder, files only, sorted', async () => {
    await put('a/x1.sh', '');
    await put('a/b/c/x2.sh', '');
    await put('a/.hidden.sh', '');
    await put('a/y.txt', '');
    expect(await glob('a/**/x?.sh', repo)).toEqual([join(repo, 'a/b/c/x2.sh'), join(repo, 'a/x1.sh')]);
    expect(await glob('a/*.sh', repo)).toEqual([join(repo, 'a/x1.sh')]);
    expect(await glob(`${repo}/a/[xy]*`, '/elsewhere')).toEqual([
      join(repo, 'a/x1.sh'),
      join(repo, 'a/y.txt'),
    ]);
  });
});
