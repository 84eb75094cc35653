/**
 * Longer than ~200 lines on purpose: one drift source, its per-field comparisons and the
 * argv rebuilt the way systemd splits it, read together.
 *
 * Drift source 1, live systemd: systemd's own parse of each unit (drop-ins and specifiers
 * applied), read for every service at once as structured D-Bus properties (src/systemd: argv
 * arrays, environment assignments), compared with the contract: interpreter, command,
 * environment and working directory. Unit files are never parsed here.
 *
 * Normalized first (not drift): symlinks (interpreter identity is compared by realpath), `$VAR`
 * and `${VAR}` in the command expanded from the unit's environment then the given process
 * environment (a whole-word `$VAR` splits at whitespace, as systemd does), `$$`,
 * duplicate/trailing slashes, `~`. Arguments are compared word for word, exactly: an argument
 * with spaces is one word.
 */
import { readFile } from 'node:fs/promises';
import {
  cleanPath,
  expandHome,
  expandVars,
  looksLikePath,
  normalizePath,
  realpathLoose,
} from '../contract/normalize.js';
import { systemdExecLine } from '../contract/quote.js';
import { serviceEnvironment } from '../contract/render.js';
import type { Contract, ContractService } from '../contract/types.js';
import { assertUnitName } from '../contract/unit-name.js';
import type { UnitProperties } from '../systemd/properties.js';
import { environmentRecord } from '../systemd/properties.js';
import { parseEnvFile } from './env-file.js';
import { renderFix } from './fix.js';
import { limitFindings } from './limits.js';
import { type DriftContext, DriftSourceError, type Finding } from './types.js';

type Vars = Record<string, string | undefined>[];

/** The unit's words after argv[0], expanded as systemd will at exec time, path-like ones normalized. */
async function actualArgs(words: readonly string[], vars: Vars, home?: string): Promise<string[]> {
  const out: string[] = [];
  for (const w of words) {
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    const value = bare ? vars.map((v) => v[bare[1]!]).find((v) => v !== undefined) : undefined;
    // A whole-word `$VAR` becomes its value split at whitespace (zero or more words).
    const expanded =
      value !== undefined
        ? value.split(/\s+/).filter(Boolean)
        : [expandHome(expandVars(w, vars, { dollarDollar: true }), home)];
    out.push(...expanded);
  }
  return Promise.all(out.map((w) => (looksLikePath(w) ? realpathLoose(w) : w)));
}

/** The contract's words after argv[0]: literal (rendered with `$`→`$$`), path-like ones normalized. */
function expectedArgs(words: readonly string[], home?: string): Promise<string[]> {
  return Promise.all(
    words.map((w) => {
      const e = expandHome(w, home);
      return looksLikePath(e) ? realpathLoose(e) : e;
    }),
  );
}

/** argv for a finding: words with spaces or quotes quoted, so word boundaries stay visible. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((w) => (w === '' || /[\s"'\\]/.test(w) ? JSON.stringify(w) : w)).join(' ');
}

/** Unit Environment= plus its EnvironmentFiles (which override, as in systemd). */
async function effectiveEnvironment(
  unit: UnitProperties,
  finding: (f: Omit<Finding, 'source' | 'service' | 'fix'>) => void,
) {
  const env = environmentRecord(unit.environment);
  for (const file of unit.environmentFiles) {
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

/** One service's findings, given its unit as systemd sees it. */
export async function checkService(
  contract: Contract,
  svc: ContractService,
  show: UnitProperties,
  ctx: DriftContext,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const fix = renderFix(contract, svc.unit);
  const add = (f: Omit<Finding, 'source' | 'service' | 'fix'>, fixCmd = fix) =>
    findings.push({ source: 'systemd', service: svc.name, fix: fixCmd, ...f });
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
  const exec = show.execStart[0];
  if (!exec) {
    add({
      field: 'command',
      expected: systemdExecLine(svc.argv),
      actual: '(no ExecStart)',
      severity: 'error',
    });
  } else {
    if (show.execStart.length > 1) {
      add({
        field: 'command',
        expected: '1 ExecStart= command',
        actual: `${show.execStart.length} ExecStart= commands`,
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
    const [a, e] = await Promise.all([
      actualArgs(exec.argv.slice(1), vars, home),
      expectedArgs(svc.argv.slice(1), home),
    ]);
    if (a.length !== e.length || a.some((w, i) => w !== e[i])) {
      add({
        field: 'command',
        expected: displayArgv(svc.argv),
        actual: displayArgv(exec.argv),
        severity: 'error',
      });
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

  // systemd's own limits that would fight medic's policy (warnings).
  findings.push(...limitFindings(svc, show));

  if (svc.workingDirectory) {
    const raw = show.workingDirectory;
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

/**
 * Every service's systemd findings, from one bulk read of all units. A manager that cannot be
 * read throws DriftSourceError('systemd'); a `process` supervisor has no units to check.
 */
export async function checkSystemd(contract: Contract, ctx: DriftContext): Promise<Finding[]> {
  if (contract.supervisor.kind !== 'systemd') return [];
  const names = contract.services.map((svc) => assertUnitName(svc.unit, 'service'));
  let units: Map<string, UnitProperties>;
  try {
    units = await ctx.readUnits(names);
  } catch (err) {
    throw new DriftSourceError(
      'systemd',
      `reading ${names.length} unit(s) over D-Bus: ${(err as Error).message}`,
    );
  }
  const all = await Promise.all(
    contract.services.map((svc) => checkService(contract, svc, units.get(svc.unit)!, ctx)),
  );
  return all.flat();
}
