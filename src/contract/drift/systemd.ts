/**
 * Drift source 1, live systemd: asks systemd (`systemctl [--user] show UNIT -p …`) for its own
 * parse of each unit, drop-ins included, and compares interpreter, command, environment and
 * working directory with the contract. Unit files are never parsed here.
 *
 * Normalized first (not drift): symlinks (interpreter identity is compared by realpath), `$VAR`
 * and `${VAR}` in the command expanded from the unit's environment then the given process
 * environment, `$$`, duplicate/trailing slashes, `~`. The command's words are compared after
 * splitting on single spaces, because systemd prints argv[] joined and unquoted.
 */
import { readFile } from 'node:fs/promises';
import {
  cleanPath,
  expandHome,
  expandVars,
  looksLikePath,
  normalizePath,
  realpathLoose,
} from '../normalize.js';
import { systemdExecLine } from '../quote.js';
import { serviceEnvironment } from '../render.js';
import type { Contract, ContractService } from '../types.js';
import { assertUnitName } from '../unit-name.js';
import { renderFix } from './fix.js';
import { parseEnvFile, parseShow, SHOW_PROPERTIES, type UnitShow } from './show.js';
import { type DriftContext, DriftSourceError, type Finding } from './types.js';

async function showUnit(contract: Contract, svc: ContractService, ctx: DriftContext): Promise<UnitShow> {
  const args = [
    ...(contract.supervisor.scope === 'user' ? ['--user'] : []),
    'show',
    assertUnitName(svc.unit, 'service'),
    '-p',
    SHOW_PROPERTIES.join(','),
  ];
  try {
    return parseShow(await ctx.systemctl(args));
  } catch (err) {
    throw new DriftSourceError('systemd', `systemctl ${args.join(' ')}: ${(err as Error).message.trim()}`);
  }
}

/** Words of a command, each expanded and, when path-like, normalized. */
async function normalizeWords(words: string[], vars: Record<string, string | undefined>[], home?: string) {
  return Promise.all(
    words.map(async (w) => {
      const expanded = expandHome(expandVars(w, vars, { dollarDollar: true }), home);
      return looksLikePath(expanded) ? realpathLoose(expanded) : expanded;
    }),
  );
}

/** Unit Environment= plus its EnvironmentFiles (which override, as in systemd). */
async function effectiveEnvironment(
  show: UnitShow,
  finding: (f: Omit<Finding, 'source' | 'service' | 'fix'>) => void,
) {
  const env = { ...show.environment };
  for (const file of show.environmentFiles) {
    try {
      Object.assign(env, parseEnvFile(await readFile(file.path, 'utf8')));
    } catch (err) {
      if (!file.optional) {
        finding({
          field: 'EnvironmentFile',
          expected: `${file.path} readable`,
          actual: (err as Error).message,
          severity: 'warning',
        });
      }
    }
  }
  return env;
}

export async function checkService(
  contract: Contract,
  svc: ContractService,
  ctx: DriftContext,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const fix = renderFix(contract, svc.unit);
  const add = (f: Omit<Finding, 'source' | 'service' | 'fix'>, fixCmd = fix) =>
    findings.push({ source: 'systemd', service: svc.name, fix: fixCmd, ...f });
  const show = await showUnit(contract, svc, ctx);
  if (show.loadState !== 'loaded') {
    add(
      {
        field: 'unit',
        expected: `${svc.unit} loaded`,
        actual: `LoadState=${show.loadState || '(empty)'}`,
        severity: 'error',
      },
      `install the unit file for ${svc.unit}, then: ${fix}`,
    );
    return findings;
  }
  const home = ctx.env.HOME;
  const unitEnv = await effectiveEnvironment(show, add);
  const vars = [unitEnv, ctx.env];

  // Command: the first ExecStart= is the service's main process.
  const exec = show.exec[0];
  if (!exec) {
    add({
      field: 'command',
      expected: systemdExecLine(svc.argv),
      actual: '(no ExecStart)',
      severity: 'error',
    });
  } else {
    if (show.exec.length > 1) {
      add({
        field: 'command',
        expected: '1 ExecStart= command',
        actual: `${show.exec.length} ExecStart= commands`,
        severity: 'warning',
      });
    }
    const [expectedExe, actualExe] = await Promise.all([
      normalizePath(svc.argv[0]!, { home }),
      normalizePath(exec.path, { home }),
    ]);
    if (expectedExe !== actualExe) {
      add({
        field: svc.command[0] === 'python' ? 'interpreter' : 'executable',
        expected: `${svc.argv[0]}${expectedExe !== svc.argv[0] ? ` (→ ${expectedExe})` : ''}`,
        actual: `${exec.path}${actualExe !== exec.path ? ` (→ ${actualExe})` : ''}`,
        severity: 'error',
      });
    }
    // argv[] starts with argv[0] (normally the path); compare the arguments after it.
    const rest = exec.argv.startsWith(`${exec.path} `)
      ? exec.argv.slice(exec.path.length + 1)
      : exec.argv.split(' ').slice(1).join(' ');
    const actualWords = exec.argv === exec.path || rest === '' ? [] : rest.split(' ');
    const expectedWords = svc.argv.length > 1 ? svc.argv.slice(1).join(' ').split(' ') : [];
    const [a, e] = await Promise.all([
      normalizeWords(actualWords, vars, home),
      normalizeWords(expectedWords, [], home),
    ]);
    if (a.join('\u0000') !== e.join('\u0000')) {
      add({ field: 'command', expected: svc.argv.join(' '), actual: exec.argv, severity: 'error' });
    }
  }

  // Environment: what the contract sets must be there, with the same value.
  for (const [key, want] of Object.entries(serviceEnvironment(contract, svc))) {
    const got = unitEnv[key];
    if (got === undefined) {
      add({ field: `environment.${key}`, expected: want, actual: '(unset)', severity: 'error' });
      continue;
    }
    let same: boolean;
    if (key === 'PATH') {
      // Only the first entry is the contract's: <prefix>/bin must win the lookup.
      const first = got.split(':')[0] ?? '';
      same = (await normalizePath(first, { home })) === (await normalizePath(want.split(':')[0]!, { home }));
    } else if (looksLikePath(want) && looksLikePath(got)) {
      same = (await normalizePath(got, { home })) === (await normalizePath(want, { home }));
    } else {
      same = got === want;
    }
    if (!same) add({ field: `environment.${key}`, expected: want, actual: got, severity: 'error' });
  }

  if (svc.workingDirectory) {
    const raw = show.workingDirectory.replace(/^[!-]+/, '');
    const got = raw ? await normalizePath(raw, { home }) : '';
    const want = await normalizePath(svc.workingDirectory, { home });
    if (got !== want) {
      add({
        field: 'workingDirectory',
        expected: svc.workingDirectory,
        actual: raw ? cleanPath(raw) : '(unset)',
        severity: 'error',
      });
    }
  }
  return findings;
}

/** Every service's systemd findings; a `process` supervisor has no units to check. */
export async function checkSystemd(contract: Contract, ctx: DriftContext): Promise<Finding[]> {
  if (contract.supervisor.kind !== 'systemd') return [];
  const all = await Promise.all(contract.services.map((svc) => checkService(contract, svc, ctx)));
  return all.flat();
}
