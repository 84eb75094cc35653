/**
 * One unit → a contract service (`Inferred`) or the reason it is left out (`Excluded`).
 *
 * Reads only its inputs: the unit's properties, the host (`InitHost`: files, the interpreter's
 * version, an HTTP GET on loopback) and the caller's environment (for `$VAR` in ExecStart, as
 * the drift check expands them). The service's command is the unit's ExecStart argv with `$VAR`
 * expanded the way the drift check compares them, and `python` for the environment's own
 * interpreter, so that `medic contract check` finds nothing to report on the same host.
 */
import { cleanPath, expandVars } from '../../contract/normalize.js';
import { unitNameProblem } from '../../contract/unit-name.js';
import { condaEnvOf, findPrefix, isCondaPrefix } from './conda.js';
import { contractEnvironment, unitEnvironment } from './environment.js';
import { recogniseLaunch } from './launch.js';
import { findPort, HEALTH_PATHS, isLoopback } from './port.js';
import type { Excluded, HealthProposal, Inferred, InitHost, Launch, UnitProperties } from './types.js';

export interface InferOptions {
  scope: 'system' | 'user';
  /** The caller's environment: `$VAR` fallback (as in the drift check) and HOME for `~`. */
  callerEnv: Readonly<Record<string, string | undefined>>;
  /** Probe proposed health URLs on loopback (default true). */
  probe?: boolean;
}

export type UnitResult = { ok: true; service: Inferred } | { ok: false; excluded: Excluded };

const out = (unit: string, reason: string): UnitResult => ({ ok: false, excluded: { unit, reason } });

function describeLaunch(launch: Launch, interpreter: string): string {
  switch (launch.kind) {
    case 'direct':
      return `ExecStart runs the interpreter ${interpreter} directly`;
    case 'script':
      return `ExecStart runs ${launch.script}, a Python script (#!${interpreter})`;
    case 'env':
      return `ExecStart runs \`env ${launch.program}\`: ${interpreter} (${launch.pathFrom})`;
    case 'conda-run':
      return `ExecStart runs \`${launch.conda} run ${launch.selector}\`: ${interpreter}`;
  }
}

/** A service name from the unit name: `shop-api.service` → `shop-api`. */
export function serviceName(unit: string): string {
  const stem = unit
    .replace(/\.service$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '');
  return stem || 'service';
}

async function proposeHealth(
  args: string[],
  env: Record<string, string>,
  opts: InferOptions,
  host: InitHost,
) {
  const port = findPort(args, env);
  if (!port) return undefined;
  const base = `http://${port.host}:${port.port}`;
  if (opts.probe !== false && isLoopback(port.host)) {
    for (const path of HEALTH_PATHS) {
      const status = await host.httpStatus(`${base}${path}`);
      if (status !== null && status >= 200 && status < 300) {
        return { url: `${base}${path}`, from: port.from, verified: true } satisfies HealthProposal;
      }
    }
  }
  const tried = !isLoopback(port.host)
    ? `not probed (${port.host} is not loopback)`
    : opts.probe === false
      ? 'not probed (--no-probe)'
      : `nothing answered 2xx on ${HEALTH_PATHS.join(', ')} at init time`;
  return { url: `${base}/health`, from: port.from, verified: false, tried } satisfies HealthProposal;
}

export async function inferUnit(
  unit: UnitProperties,
  host: InitHost,
  opts: InferOptions,
): Promise<UnitResult> {
  const nameProblem = unitNameProblem(unit.id, 'service');
  if (nameProblem) return out(unit.id, nameProblem);
  if (unit.loadState !== 'loaded')
    return out(unit.id, `LoadState=${unit.loadState || '(empty)'}: systemd cannot run it`);
  const exec = unit.execStart[0];
  if (!exec) return out(unit.id, 'no ExecStart= (nothing to watch)');
  if ([exec.path, ...exec.argv].some((w) => w.includes('\n') || w.includes('\0'))) {
    return out(unit.id, 'ExecStart has an argument with a newline or NUL: a contract cannot state it');
  }

  const env = await unitEnvironment(unit, host);
  const launch = await recogniseLaunch(exec, env.effective, host);
  if (!launch.ok) return out(unit.id, launch.reason);
  let prefix: string;
  let viaRealpath: string | null = null;
  if (launch.conda) {
    if (!(await isCondaPrefix(launch.conda.prefix, host))) {
      return out(
        unit.id,
        `conda run selects ${launch.conda.prefix}, which is not a conda environment (no conda-meta/)`,
      );
    }
    prefix = launch.conda.prefix;
  } else {
    const found = await findPrefix(launch.interpreter, host);
    if (!found) {
      return out(
        unit.id,
        `runs ${launch.interpreter}, which is not in a conda environment (no conda-meta/ beside its bin/)`,
      );
    }
    ({ prefix, viaRealpath } = found);
  }
  prefix = cleanPath(prefix);
  const python = `${prefix}/bin/python`;
  if (!(await host.isExecutable(python))) {
    return out(
      unit.id,
      `${python} is missing or not executable (the contract's interpreter is <prefix>/bin/python)`,
    );
  }
  const conda = await condaEnvOf(prefix, host, launch.conda?.root);

  const notes = [`unit ${unit.fragmentPath || unit.id}`, describeLaunch(launch.launch, launch.interpreter)];
  if (viaRealpath) notes.push(`${launch.interpreter} resolves to ${viaRealpath}, in ${prefix}`);
  const real = await host.realpath(prefix);
  if (real !== prefix) notes.push(`${prefix} resolves to ${real} (kept as the unit spells it)`);
  if (unit.execStart.length > 1) {
    notes.push(
      `${unit.execStart.length} ExecStart= commands: the first is the service (check warns about the rest)`,
    );
  }

  const vars = [env.effective, opts.callerEnv];
  const words = [exec.path, ...exec.argv.slice(1)].map((w) => expandVars(w, vars, { dollarDollar: true }));
  if (words.some((w, i) => w !== [exec.path, ...exec.argv.slice(1)][i])) {
    notes.push('$VAR in ExecStart expanded from the unit environment, as systemd does at start');
  }
  if (launch.launch.kind === 'direct' && (await host.realpath(exec.path)) === (await host.realpath(python))) {
    words[0] = 'python';
  }

  let workingDirectory: string | undefined;
  const wd = unit.workingDirectory;
  const home = opts.callerEnv.HOME ? cleanPath(opts.callerEnv.HOME) : undefined;
  // A user manager's default is the home folder, missing ok (`!<home>` on D-Bus): not the unit's.
  const managerDefault = opts.scope === 'user' && unit.workingDirectoryOptional && cleanPath(wd) === home;
  if (managerDefault) {
    // nothing to pin
  } else if (wd === '~') {
    if (opts.scope === 'user' && home?.startsWith('/')) workingDirectory = home;
    else notes.push("WorkingDirectory=~ (the user's home) left out: not known here");
  } else if (wd.startsWith('/')) workingDirectory = cleanPath(wd);

  const { environment, leftOut } = contractEnvironment(env);
  notes.push(...env.notes, ...leftOut);
  if (unit.user) notes.push(`runs as User=${unit.user}`);

  const health = await proposeHealth(exec.argv.slice(1), env.effective, opts, host);
  if (!health) notes.push('no port in ExecStart or the environment: no health URL (judged by unit state)');
  else if (health.verified)
    notes.push(`health: port from ${health.from}; ${health.url} answered 2xx at init time`);
  else notes.push(`health: port from ${health.from}; ${health.tried}: proposal below, commented out`);

  return {
    ok: true,
    service: {
      unit: unit.id,
      name: serviceName(unit.id),
      conda,
      launch: launch.launch,
      interpreter: launch.interpreter,
      command: words,
      ...(workingDirectory ? { workingDirectory } : {}),
      environment,
      effectiveEnv: env.effective,
      ...(health ? { health } : {}),
      notes,
    },
  };
}
