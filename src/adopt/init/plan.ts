/**
 * The whole contract from a set of units: infer each, pick the contract's conda environment
 * (`--env`, else the one most units run; ties: the first unit's), read its Python version,
 * decide each service's `activation` against that prefix, and render the YAML (`yaml.ts`).
 *
 * A contract names one conda environment. A unit that runs Python from another conda
 * environment is still a service (medic watches it), with its interpreter pinned by absolute
 * path; its comment says that only the contract's environment is checked for its version.
 */
import { activationOf } from './environment.js';
import { type InferOptions, inferUnit } from './infer.js';
import type { CondaEnv, Excluded, Inferred, InitHost, PlannedService, UnitProperties } from './types.js';
import { renderInitYaml } from './yaml.js';

export interface InitOptions extends InferOptions {
  /** Contract environment: an env name or a prefix path (default: the most used). */
  env?: string;
  /** The command line, for the header comment. */
  commandLine: string;
}

export interface InitPlan {
  /** The YAML text; null when no unit qualified. */
  text: string | null;
  conda: CondaEnv | null;
  python: string | null;
  /** Where the python version came from. */
  pythonFrom: string;
  services: PlannedService[];
  excluded: Excluded[];
}

const MAJOR_MINOR = /^(\d+)\.(\d+)/;

/** `python-3.11.7-h955ad1f_0.json` in conda-meta → `3.11.7`. */
export async function condaMetaPython(prefix: string, host: InitHost): Promise<string | null> {
  for (const name of await host.listDir(`${prefix}/conda-meta`)) {
    const m = /^python-(\d+\.\d+(?:\.\d+)?)-.*\.json$/.exec(name);
    if (m) return m[1]!;
  }
  return null;
}

/** The Python version for `conda.python` (MAJOR.MINOR) and where it came from. */
async function pythonOf(prefix: string, host: InitHost): Promise<{ python: string | null; from: string }> {
  const ran = await host.pythonVersion(`${prefix}/bin/python`);
  const meta = await condaMetaPython(prefix, host);
  const mm = (v: string | null) => (v ? (MAJOR_MINOR.exec(v)?.slice(1, 3).join('.') ?? null) : null);
  if (ran) {
    const also = meta
      ? mm(meta) === mm(ran)
        ? `; conda-meta agrees (python-${meta})`
        : `; conda-meta says python-${meta}!`
      : '';
    return { python: mm(ran), from: `${prefix}/bin/python reports ${ran}${also}` };
  }
  if (meta)
    return { python: mm(meta), from: `conda-meta/python-${meta}-*.json (${prefix}/bin/python did not run)` };
  return { python: null, from: `${prefix}/bin/python did not run and conda-meta names no python` };
}

function chooseEnv(services: Inferred[], wanted?: string): CondaEnv | null {
  if (wanted) {
    const w = wanted.replace(/\/+$/, '');
    const match = services.find((s) => s.conda.env === w || s.conda.prefix === w || s.conda.realPrefix === w);
    return match?.conda ?? null;
  }
  // Grouped by realpath: `/opt/conda/envs/x` and `/opt/miniconda3/envs/x` are one environment.
  const counts = new Map<string, { env: CondaEnv; n: number }>();
  for (const s of services) {
    const c = counts.get(s.conda.realPrefix) ?? { env: s.conda, n: 0 };
    c.n++;
    counts.set(s.conda.realPrefix, c);
  }
  let best: { env: CondaEnv; n: number } | null = null;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best?.env ?? null;
}

function uniqueNames(services: PlannedService[]): void {
  const seen = new Map<string, number>();
  for (const s of services) {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    if (n > 1) s.name = `${s.name}-${n}`;
  }
}

export async function planContract(
  units: UnitProperties[],
  host: InitHost,
  opts: InitOptions,
): Promise<InitPlan> {
  const results = await Promise.all(units.map((u) => inferUnit(u, host, opts)));
  const inferred = results.flatMap((r) => (r.ok ? [r.service] : []));
  const excluded = results.flatMap((r) => (r.ok ? [] : [r.excluded]));
  const conda = chooseEnv(inferred, opts.env);
  if (!conda) {
    if (opts.env && inferred.length > 0) {
      const envs = [...new Set(inferred.map((s) => `${s.conda.env} (${s.conda.prefix})`))].join(', ');
      excluded.push({
        unit: '*',
        reason: `--env ${opts.env} matches no unit's environment (found: ${envs})`,
      });
    }
    return { text: null, conda: null, python: null, pythonFrom: '', services: [], excluded };
  }
  const { python, from } = await pythonOf(conda.prefix, host);
  const services: PlannedService[] = [];
  for (const s of inferred) {
    const activation = await activationOf(s.effectiveEnv, conda.prefix, host);
    const notes = [...s.notes];
    const command = [...s.command];
    if (s.conda.realPrefix !== conda.realPrefix) {
      if (command[0] === 'python') command[0] = `${s.conda.prefix}/bin/python`;
      notes.push(
        `runs conda env '${s.conda.env}' (${s.conda.prefix}), not this contract's '${conda.env}': its interpreter is pinned by path; only '${conda.env}' is checked for its Python version`,
      );
    }
    notes.push(
      activation === 'env'
        ? 'activation: the unit sets CONDA_PREFIX and PATH (<prefix>/bin first); both are checked'
        : activation === 'path'
          ? 'activation: path, the unit puts <prefix>/bin first on PATH but sets no CONDA_PREFIX'
          : s.launch.kind === 'conda-run'
            ? 'activation: none, `conda run` activates the environment itself'
            : 'activation: none, the unit sets neither CONDA_PREFIX nor PATH to the environment (the command names its interpreter)',
    );
    services.push({ ...s, command, notes, activation });
  }
  uniqueNames(services);
  const text = python
    ? renderInitYaml({
        conda,
        python,
        pythonFrom: from,
        services,
        excluded,
        commandLine: opts.commandLine,
        scope: opts.scope,
      })
    : null;
  if (!python) excluded.push({ unit: '*', reason: `no Python version for ${conda.prefix}: ${from}` });
  return { text, conda, python, pythonFrom: from, services, excluded };
}
