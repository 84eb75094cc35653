/**
 * Adoption, scripted end to end on the real systemd user manager (user scope): a host with 20
 * conda units in the shapes of issue 19 (interpreter path, conda run, /usr/bin/env python,
 * symlinked root, environment file, $VAR in ExecStart, entry-point script, base env), then
 *   npm install -g --prefix P ./medic-<v>.tgz  →  medic contract init  →  medic contract check
 *   →  medic install --scope user  (which returns once /readyz is 200)
 * timed step by step. Baseline: the `npm install -g` step of the same run (medic's own steps as a
 * ratio of it). Also prints the number of hand edits the generated contract needed (findings of
 * `contract check` on it, unedited; goal 0). `npm pack` (the build) is not timed.
 *
 * Run: scripts/with-systemd.sh npx tsx bench/run.ts adopt   (or npm run bench adopt)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeCondaHost, manyCondaUnits, startUnits } from '../test/helpers/adopt.js';
import { packInto } from '../test/helpers/pack.js';
import { removeUnit } from '../test/helpers/systemd.js';
import { report } from './report.js';

const run = promisify(execFile);
const UNITS = 20;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await fn();
  return [value, performance.now() - t];
}

export async function run_(): Promise<void> {
  if (process.env.MEDIC_TEST_SYSTEMD !== '1') {
    console.log('adopt: needs the systemd user manager (scripts/with-systemd.sh); skipped');
    return;
  }
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'medic-adopt-bench-')));
  const host = await makeCondaHost(dir);
  const shapes = await manyCondaUnits(host, dir, UNITS);
  const names = await startUnits('adoptbench', shapes);
  const unit = 'medic-adoptbench.service';
  const env = {
    ...process.env,
    XDG_STATE_HOME: join(dir, 'state'),
    PATH: `${join(dir, 'prefix', 'bin')}:${process.env.PATH}`,
  };
  try {
    const tgz = await packInto(dir);
    const prefix = join(dir, 'prefix');
    const medic = join(prefix, 'bin', 'medic');
    const contract = join(dir, 'medic.yaml');
    const sh = (file: string, args: string[]) => run(file, args, { cwd: dir, env, maxBuffer: 64 << 20 });

    const [, npmMs] = await timed(() =>
      sh('npm', ['install', '-g', '--prefix', prefix, tgz, '--prefer-offline', '--no-audit', '--no-fund']),
    );
    const [, initMs] = await timed(() =>
      sh(medic, ['contract', 'init', '--units', 'adoptbench-*', '--scope', 'user', '--out', contract]),
    );
    const [check, checkMs] = await timed(() =>
      sh(medic, ['contract', 'check', '--contract', contract, '--json']),
    );
    const findings = (JSON.parse(check.stdout) as { findings: unknown[] }).findings.length;
    const port = await freePort();
    const [, installMs] = await timed(() =>
      sh(medic, [
        'install',
        '--contract',
        contract,
        '--unit',
        unit,
        '--port',
        String(port),
        '--ready-timeout',
        '300',
      ]),
    );
    const total = npmMs + initMs + checkMs + installMs;
    const base = { name: 'npm install -g (same run)', value: npmMs / 1000 };
    report({
      bench: 'adopt',
      metric: `npm install -g → /readyz 200 (${UNITS} conda units)`,
      value: total / 1000,
      unit: 's',
      baseline: base,
    });
    report({ bench: 'adopt', metric: 'npm install -g ./medic.tgz', value: npmMs / 1000, unit: 's' });
    report({
      bench: 'adopt',
      metric: 'medic contract init',
      value: initMs / 1000,
      unit: 's',
      baseline: base,
    });
    report({
      bench: 'adopt',
      metric: 'medic contract check',
      value: checkMs / 1000,
      unit: 's',
      baseline: base,
    });
    report({
      bench: 'adopt',
      metric: 'medic install (until /readyz 200)',
      value: installMs / 1000,
      unit: 's',
      baseline: base,
    });
    report({
      bench: 'adopt',
      metric: 'hand edits to the generated contract',
      value: findings,
      unit: 'edits',
      goal: '0',
    });
    await sh(medic, ['uninstall', '--unit', unit, '--scope', 'user', '--purge']);
  } finally {
    await removeUnit(unit);
    for (const n of names) await removeUnit(n);
    await rm(dir, { recursive: true, force: true });
  }
}

export { run_ as run };
