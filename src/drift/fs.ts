/**
 * Drift source 2, the filesystem: the conda prefix exists and is a directory, `conda-meta/` is
 * there (it is a conda environment), `bin/python` exists and is executable, and its
 * `sys.version_info` matches `conda.python` (MAJOR.MINOR, or MAJOR.MINOR.PATCH when given).
 * Findings are contract-wide (`service: '*'`). A permission error that stops the check is a
 * DriftSourceError; a missing path is a finding.
 */
import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { shellQuote } from '../contract/quote.js';
import type { Contract } from '../contract/types.js';
import { DriftSourceError, type Finding } from './types.js';

const run = promisify(execFile);

const VERSION_SCRIPT = 'import sys; print("%d.%d.%d" % tuple(sys.version_info[:3]))';

async function exists(path: string): Promise<'dir' | 'file' | null> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DriftSourceError('fs', `stat ${path}: ${(err as Error).message}`);
  }
}

/** The version the interpreter reports, e.g. "3.11.7". Rejects when it cannot run. */
export async function pythonVersion(python: string): Promise<string> {
  const { stdout } = await run(python, ['-c', VERSION_SCRIPT], { timeout: 15_000 });
  return stdout.trim();
}

export function versionMatches(expected: string, actual: string): boolean {
  const want = expected.split('.');
  const got = actual.split('.');
  return want.every((part, i) => got[i] === part);
}

export async function checkFs(contract: Contract): Promise<Finding[]> {
  const { prefix, pythonPath, python, env } = contract.conda;
  const create = `conda create --yes --prefix ${shellQuote(prefix)} python=${python}`;
  const finding = (field: string, expected: string, actual: string, fix: string): Finding => ({
    source: 'fs',
    service: '*',
    field,
    expected,
    actual,
    severity: 'error',
    fix,
  });
  const kind = await exists(prefix);
  if (kind !== 'dir') {
    return [
      finding(
        'conda.prefix',
        `conda environment '${env}' at ${prefix}`,
        kind ? 'not a directory' : 'missing',
        create,
      ),
    ];
  }
  const findings: Finding[] = [];
  if ((await exists(`${prefix}/conda-meta`)) !== 'dir') {
    findings.push(
      finding(
        'conda.prefix/conda-meta',
        `${prefix}/conda-meta/ (a conda environment)`,
        'missing: not a conda environment',
        create,
      ),
    );
  }
  const install = `conda install --yes --prefix ${shellQuote(prefix)} python=${python}`;
  if ((await exists(pythonPath)) !== 'file') {
    findings.push(finding('conda.python', `executable ${pythonPath}`, 'missing', install));
    return findings;
  }
  try {
    await access(pythonPath, constants.X_OK);
  } catch {
    findings.push(
      finding(
        'conda.python',
        `executable ${pythonPath}`,
        'not executable',
        `chmod +x ${shellQuote(pythonPath)}`,
      ),
    );
    return findings;
  }
  let version: string;
  try {
    version = await pythonVersion(pythonPath);
  } catch (err) {
    findings.push(
      finding('python.version', python, `failed to run: ${(err as Error).message.split('\n')[0]}`, install),
    );
    return findings;
  }
  if (!versionMatches(python, version)) findings.push(finding('python.version', python, version, install));
  return findings;
}
