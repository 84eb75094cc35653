/**
 * Prepares `medic demo`: a fresh data folder (DB reset), a conda-layout environment whose
 * bin/python is this machine's python3, and the bundled contract template resolved to absolute
 * paths (examples/demo/contract.yaml → <data>/demo-contract.yaml).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../paths.js';

const run = promisify(execFile);

export const DEMO_DIR = join(PACKAGE_ROOT, 'examples', 'demo');

export interface DemoFiles {
  dataDir: string;
  db: string;
  contract: string;
  log: string;
  python: string;
}

/** The real interpreter behind `python3` (resolving shims such as pyenv's). */
export async function findPython(path: string): Promise<{ executable: string; version: string }> {
  try {
    const { stdout } = await run(
      'python3',
      ['-c', 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])'],
      { env: { PATH: path } },
    );
    const [executable, version] = stdout.trim().split('\n');
    if (!executable || !version) throw new Error(`unexpected output: ${stdout}`);
    return { executable, version };
  } catch (err) {
    throw new Error(`the demo needs python3 on PATH: ${(err as Error).message}`);
  }
}

export async function prepareDemo(dataDir: string, path: string): Promise<DemoFiles> {
  const abs = resolve(dataDir);
  const db = join(abs, 'demo.db');
  await mkdir(abs, { recursive: true });
  for (const f of [db, `${db}-wal`, `${db}-shm`, join(abs, 'demo-lives'), join(abs, 'demo.log')]) {
    await rm(f, { force: true });
  }
  const py = await findPython(path);
  const prefix = join(abs, 'demo-conda', 'envs', 'demo');
  await rm(join(abs, 'demo-conda'), { recursive: true, force: true });
  await mkdir(join(prefix, 'conda-meta'), { recursive: true });
  await mkdir(join(prefix, 'bin'), { recursive: true });
  await writeFile(join(prefix, 'conda-meta', 'history'), `# created by medic demo\n`);
  await symlink(py.executable, join(prefix, 'bin', 'python'));
  const template = await readFile(join(DEMO_DIR, 'contract.yaml'), 'utf8');
  const contract = join(abs, 'demo-contract.yaml');
  await writeFile(
    contract,
    template
      .replaceAll('@DEMO_DIR@', DEMO_DIR)
      .replaceAll('@DATA_DIR@', abs)
      .replaceAll('@PYTHON_VERSION@', py.version),
  );
  return { dataDir: abs, db, contract, log: join(abs, 'demo.log'), python: py.executable };
}
