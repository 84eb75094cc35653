/**
 * How a unit's main command reaches Python: the interpreter directly, a Python entry script
 * (its shebang names the interpreter), `/usr/bin/env [VAR=x] python …` (looked up on the PATH
 * the unit gives it), or `conda run -n ENV|-p PREFIX python …`. Anything else is not Python
 * from a conda prefix, and the reason says what the unit runs instead.
 */
import { posix } from 'node:path';
import { splitArgs } from '../../contract/normalize.js';
import { DEFAULT_PATH } from '../../contract/render.js';
import { PYTHON_NAME } from './conda.js';
import type { ExecCommand, InitHost, Launch } from './types.js';

export type LaunchResult =
  | {
      ok: true;
      launch: Launch;
      /** The interpreter path (as the unit or its PATH names it). */
      interpreter: string;
      /** For `conda run`: the prefix it selects and the root of its `conda`. */
      conda?: { prefix: string; root: string };
    }
  | { ok: false; reason: string };

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'fish']);
const CONDA_PROGRAMS = new Set(['conda', 'mamba']);

/** First executable `dir/name` along `path` (a `:` list); null when none. */
export async function lookPath(name: string, path: string, host: InitHost): Promise<string | null> {
  for (const dir of path.split(':')) {
    if (!dir.startsWith('/')) continue;
    const candidate = `${dir.replace(/\/+$/, '')}/${name}`;
    if (await host.isExecutable(candidate)) return candidate;
  }
  return null;
}

/** `#!/path/python3 -u` → ['/path/python3', '-u']; null when the file has no shebang. */
export async function shebang(path: string, host: InitHost): Promise<string[] | null> {
  const text = await host.readText(path);
  if (!text?.startsWith('#!')) return null;
  const words = text.slice(2).split('\n')[0]!.trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : null;
}

/** Classifies a program path: an interpreter, a Python script, or a reason it is neither. */
async function classify(
  program: string,
  launch: Launch,
  env: Record<string, string>,
  host: InitHost,
): Promise<LaunchResult> {
  const base = posix.basename(program);
  if (PYTHON_NAME.test(base)) return { ok: true, launch, interpreter: program };
  if (SHELLS.has(base)) {
    return {
      ok: false,
      reason: `runs a shell (${program}): the interpreter it starts is not visible to systemd; let ExecStart= run python directly`,
    };
  }
  // A symlink with another name (`/usr/local/bin/shop-python` → `…/bin/python3.11`).
  if (PYTHON_NAME.test(posix.basename(await host.realpath(program))))
    return { ok: true, launch, interpreter: program };
  const bang = await shebang(program, host);
  if (bang) {
    let interp = bang[0]!;
    if (posix.basename(interp) === 'env' && bang[1] && PYTHON_NAME.test(bang[1])) {
      const found = await lookPath(bang[1], env.PATH ?? DEFAULT_PATH, host);
      if (!found)
        return { ok: false, reason: `${program}: #!${bang.join(' ')}, but ${bang[1]} is not on PATH` };
      interp = found;
    }
    if (PYTHON_NAME.test(posix.basename(interp))) {
      const script: Launch = launch.kind === 'direct' ? { kind: 'script', script: program } : launch;
      return { ok: true, launch: script, interpreter: interp };
    }
    return { ok: false, reason: `runs ${program} (#!${bang.join(' ')}), not Python` };
  }
  return { ok: false, reason: `runs ${program}, not Python` };
}

/** `env [-i] [-u NAME] [-S 'words'] [NAME=value]… program …`: the program and PATH it sees. */
function parseEnvArgs(argv: string[]): { program?: string; assigned: Record<string, string> } {
  const assigned: Record<string, string> = {};
  const words = argv.slice(1);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-u' || w === '--unset') i++;
    else if (w === '-S' || w === '--split-string') {
      words.splice(i + 1, 1, ...splitArgs(words[i + 1] ?? ''));
    } else if (w.startsWith('-S')) words.splice(i + 1, 0, ...splitArgs(w.slice(2)));
    else if (w.startsWith('-')) continue;
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      const eq = w.indexOf('=');
      assigned[w.slice(0, eq)] = w.slice(eq + 1);
    } else return { program: w, assigned };
  }
  return { assigned };
}

const CONDA_RUN_FLAGS_WITH_VALUE = new Set(['-n', '--name', '-p', '--prefix', '--cwd']);

/** `conda run [opts] program …`: the selected env (`-n`/`-p`, default base) and the program. */
function parseCondaRun(argv: string[]): { name?: string; prefix?: string; program?: string } {
  const out: { name?: string; prefix?: string; program?: string } = {};
  for (let i = 2; i < argv.length; i++) {
    const w = argv[i]!;
    const [flag, inline] =
      w.startsWith('--') && w.includes('=')
        ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]
        : [w, undefined];
    if (CONDA_RUN_FLAGS_WITH_VALUE.has(flag)) {
      const value = inline ?? argv[++i];
      if (flag === '-n' || flag === '--name') out.name = value;
      if (flag === '-p' || flag === '--prefix') out.prefix = value;
    } else if (w.startsWith('-')) continue;
    else {
      out.program = w;
      break;
    }
  }
  return out;
}

/** Recognises how `exec` (the unit's first ExecStart=) reaches Python. */
export async function recogniseLaunch(
  exec: ExecCommand,
  env: Record<string, string>,
  host: InitHost,
): Promise<LaunchResult> {
  const base = posix.basename(exec.path);
  if (base === 'env') {
    const { program, assigned } = parseEnvArgs(exec.argv);
    if (!program) return { ok: false, reason: `${exec.path} without a program` };
    if (program.includes('/'))
      return classify(program, { kind: 'env', program, pathFrom: '(path given)' }, env, host);
    const pathFrom = assigned.PATH
      ? 'env PATH=… in ExecStart'
      : env.PATH
        ? 'PATH in the unit environment'
        : "systemd's default PATH";
    const path = assigned.PATH ?? env.PATH ?? DEFAULT_PATH;
    const found = await lookPath(program, path, host);
    if (!found)
      return {
        ok: false,
        reason: `${exec.path} ${program}: ${program} is not on PATH (${pathFrom}: ${path})`,
      };
    return classify(found, { kind: 'env', program, pathFrom }, env, host);
  }
  if (CONDA_PROGRAMS.has(base) && exec.argv[1] === 'run') {
    const bin = posix.dirname(exec.path);
    const root = ['bin', 'condabin'].includes(posix.basename(bin)) ? posix.dirname(bin) : bin;
    const run = parseCondaRun(exec.argv);
    const prefix = run.prefix ?? (!run.name || run.name === 'base' ? root : `${root}/envs/${run.name}`);
    const selector = run.prefix ? `-p ${run.prefix}` : run.name ? `-n ${run.name}` : '(no -n: base)';
    if (!run.program) return { ok: false, reason: `${exec.path} run ${selector} without a program` };
    const program = run.program.includes('/') ? run.program : `${prefix}/bin/${run.program}`;
    if (!(await host.isExecutable(program))) {
      return { ok: false, reason: `conda run ${selector}: ${program} does not exist or is not executable` };
    }
    const result = await classify(program, { kind: 'conda-run', conda: exec.path, selector }, env, host);
    return result.ok ? { ...result, conda: { prefix, root } } : result;
  }
  return classify(exec.path, { kind: 'direct' }, env, host);
}
