import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../src/contract/load.js';
import { checkDrift } from '../../src/drift/check.js';
import { MAJOR_MINOR, makeCondaEnv, REAL_PYTHON_VERSION, tempDir } from './helpers.js';

function contractFor(root: string, python = MAJOR_MINOR, env = 'shop') {
  return parseContract(
    `version: 1\nsupervisor: {kind: process}\nconda: {root: "${root}", env: ${env}, python: "${python}"}\nservices: [{name: api, unit: shop-api.service, command: [python, -m, http.server]}]\n`,
    `${root}/medic.yaml`,
  );
}

const fsOnly = { sources: ['fs'] as const };

describe('filesystem drift', () => {
  it('finds nothing for a conda env whose python has the contract version (major.minor and full)', async () => {
    const root = await tempDir();
    await makeCondaEnv(root, 'shop');
    expect((await checkDrift(contractFor(root), fsOnly)).findings).toEqual([]);
    expect((await checkDrift(contractFor(root, REAL_PYTHON_VERSION), fsOnly)).findings).toEqual([]);
  });

  it('does not flag a symlinked conda root or doubled and trailing slashes', async () => {
    const base = await tempDir();
    await makeCondaEnv(join(base, 'miniconda3'), 'shop');
    await symlink(join(base, 'miniconda3'), join(base, 'conda'));
    const report = await checkDrift(contractFor(`${base}//conda/`), fsOnly);
    expect(report).toMatchObject({ ok: true, findings: [] });
  });

  it('flags a python of another version with the command that installs the right one', async () => {
    const root = await tempDir();
    await makeCondaEnv(root, 'shop');
    const report = await checkDrift(contractFor(root, '2.7'), fsOnly);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      {
        source: 'fs',
        service: '*',
        field: 'python.version',
        expected: '2.7',
        actual: REAL_PYTHON_VERSION,
        severity: 'error',
        fix: `conda install --yes --prefix '${root}/envs/shop' python=2.7`,
      },
    ]);
  });

  it('flags a missing prefix, a folder that is not a conda env, and a missing or non-executable python', async () => {
    const root = await tempDir();
    const missing = await checkDrift(contractFor(root), fsOnly);
    expect(missing.findings.map((f) => [f.field, f.actual])).toEqual([['conda.prefix', 'missing']]);
    expect(missing.findings[0]!.fix).toBe(
      `conda create --yes --prefix '${root}/envs/shop' python=${MAJOR_MINOR}`,
    );

    const prefix = await makeCondaEnv(root, 'shop');
    await rm(join(prefix, 'conda-meta'), { recursive: true });
    await rm(join(prefix, 'bin', 'python'));
    const bare = await checkDrift(contractFor(root), fsOnly);
    expect(bare.findings.map((f) => [f.field, f.actual])).toEqual([
      ['conda.prefix/conda-meta', 'missing: not a conda environment'],
      ['conda.python', 'missing'],
    ]);

    await mkdir(join(prefix, 'conda-meta'));
    await rm(`${root}/envs/shop/bin`, { recursive: true });
    const other = await makeCondaEnv(root, 'script', 'script');
    await chmod(join(other, 'bin', 'python'), 0o644);
    const notExec = await checkDrift(contractFor(root, MAJOR_MINOR, 'script'), fsOnly);
    expect(notExec.findings.map((f) => [f.field, f.actual])).toEqual([['conda.python', 'not executable']]);
  });

  it('flags an interpreter that cannot run', async () => {
    const root = await tempDir();
    const prefix = await makeCondaEnv(root, 'shop', 'script');
    await rm(join(prefix, 'bin', 'python'));
    await symlink('/bin/false', join(prefix, 'bin', 'python'));
    const report = await checkDrift(contractFor(root), fsOnly);
    expect(report.findings.map((f) => f.field)).toEqual(['python.version']);
    expect(report.findings[0]!.actual).toMatch(/^failed to run/);
  });
});
