/**
 * Longer than ~200 lines on purpose: one drift source, its line matchers and their fixes together.
 *
 * Drift source 3, repo files: the unit templates (`repo.units`) and deploy scripts
 * (`repo.scripts`), globbed relative to the contract's folder. A line is drift when it names
 * another conda environment or interpreter than the contract:
 * - unit templates: `ExecStart*=`, `Environment=`, `EnvironmentFile=`;
 * - scripts: `conda activate NAME|PATH` (also `source activate`, `conda run -n/-p`),
 *   `CONDA_PREFIX=…`, hard-coded `…/envs/NAME/…` and `…/bin/python…` paths.
 * A reference matches when its environment folder (the part before `/bin/python…`, or up to
 * `/envs/NAME`) is the contract prefix after normalization (realpath, `~`, `$VAR` from the file's
 * own assignments then the given environment), or when the interpreter is the same file.
 * A glob that matches nothing is a warning (a typo would silently disable the check).
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { expandHome, expandVars, normalizePath, parseAssignments, splitArgs } from '../contract/normalize.js';
import type { Contract } from '../contract/types.js';
import { sedFix } from './fix.js';
import { glob, splitNegations } from './glob.js';
import { type DriftContext, DriftSourceError, type Finding } from './types.js';

interface Line {
  no: number;
  text: string;
}

/** Lines with `\` continuations joined, numbered from 1 by their first physical line. */
function logicalLines(text: string): Line[] {
  const out: Line[] = [];
  const physical = text.split('\n');
  for (let i = 0; i < physical.length; i++) {
    const no = i + 1;
    let t = physical[i]!;
    while (t.endsWith('\\') && i + 1 < physical.length) t = `${t.slice(0, -1)} ${physical[++i]!}`;
    out.push({ no, text: t });
  }
  return out;
}

/** `X/bin/python3.11` and `X/envs/NAME` references: the environment folder and the matched text. */
const ENV_REF =
  /(?:~|\$\{?[A-Za-z_]\w*\}?|\/)[^\s"'=:;`|&()<>]*?(?:\/envs\/[A-Za-z0-9._+-]+(?=\/|$|[\s"':;`|&()<>])|\/bin\/python[0-9.]*(?![\w.-]))/g;

interface Scan {
  contract: Contract;
  ctx: DriftContext;
  file: string;
  rel: string;
  service: string;
  vars: Record<string, string>;
  findings: Finding[];
  seen: Set<string>;
  prefixReal: string;
  pythonReal: string;
}

function add(
  scan: Scan,
  line: Line,
  what: string,
  expected: string,
  actual: string,
  severity: Finding['severity'],
  fix: string,
) {
  const key = `${line.no}\0${actual}`;
  if (scan.seen.has(key)) return;
  scan.seen.add(key);
  scan.findings.push({
    source: 'repo',
    service: scan.service,
    field: `${scan.rel}:${line.no} ${what}`,
    expected,
    actual,
    severity,
    fix,
  });
}

const norm = (scan: Scan, p: string) =>
  normalizePath(expandHome(expandVars(p, [scan.vars, scan.ctx.env]), scan.ctx.env.HOME), {
    home: scan.ctx.env.HOME,
  });

/** Flags every env/interpreter reference in `text` that is not the contract's. */
async function checkRefs(
  scan: Scan,
  line: Line,
  what: string,
  text: string,
  strayPython: Finding['severity'],
) {
  for (const m of text.matchAll(ENV_REF)) {
    const ref = m[0];
    const isPython = /\/bin\/python[0-9.]*$/.test(ref);
    const envDir = isPython ? ref.replace(/\/bin\/python[0-9.]*$/, '') : ref;
    if ((await norm(scan, envDir)) === scan.prefixReal) continue;
    if (isPython && (await norm(scan, ref)) === scan.pythonReal) continue;
    const underEnvs = /\/envs\/[^/]+$/.test(envDir);
    const expected = isPython ? scan.contract.conda.pythonPath : scan.contract.conda.prefix;
    add(
      scan,
      line,
      what,
      expected,
      ref,
      underEnvs ? 'error' : strayPython,
      sedFix(scan.file, line.no, ref, expected),
    );
  }
}

async function checkUnitTemplate(scan: Scan, lines: Line[]) {
  const envLines = lines.filter((l) => /^\s*Environment\s*=/.test(l.text));
  for (const l of envLines) {
    try {
      Object.assign(scan.vars, parseAssignments(splitArgs(l.text.replace(/^\s*Environment\s*=/, ''))));
    } catch {
      // reported below when the line itself is checked
    }
  }
  for (const line of lines) {
    const m = /^\s*(ExecStart(?:Pre|Post)?|ExecReload|Environment|EnvironmentFile)\s*=\s*(.*)$/.exec(
      line.text,
    );
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Environment') {
      const assignments = parseAssignments(splitArgsSafe(value));
      const cp = assignments.CONDA_PREFIX;
      if (cp !== undefined && (await norm(scan, cp)) !== scan.prefixReal) {
        add(
          scan,
          line,
          'Environment=CONDA_PREFIX',
          scan.contract.conda.prefix,
          cp,
          'error',
          sedFix(scan.file, line.no, cp, scan.contract.conda.prefix),
        );
      }
    }
    await checkRefs(scan, line, `${key}=`, value.replace(/^[-@:+!]+/, ''), 'error');
  }
}

function splitArgsSafe(value: string): string[] {
  try {
    return splitArgs(value);
  } catch {
    return value.split(/\s+/);
  }
}

async function checkScript(scan: Scan, lines: Line[]) {
  for (const l of lines) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|[^\s;]*)/.exec(l.text);
    if (m) scan.vars[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  const { env, prefix } = scan.contract.conda;
  for (const line of lines) {
    const code = line.text.replace(/(^|\s)#.*$/, '');
    if (!code.trim()) continue;
    for (const m of code.matchAll(
      /\b(?:conda|mamba|micromamba)\s+activate\s+([^\s;&|)]+)|\bsource\s+activate\s+([^\s;&|)]+)/g,
    )) {
      const target = (m[1] ?? m[2])!.replace(/^["']|["']$/g, '');
      const ok = target.includes('/') ? (await norm(scan, target)) === scan.prefixReal : target === env;
      if (!ok)
        add(
          scan,
          line,
          'conda activate',
          env,
          target,
          'error',
          sedFix(scan.file, line.no, m[0], m[0].replace(target, env)),
        );
    }
    for (const m of code.matchAll(/\bconda\s+run\s+(?:.*?\s)?(-n|--name|-p|--prefix)[\s=]+([^\s;&|)]+)/g)) {
      const target = m[2]!.replace(/^["']|["']$/g, '');
      const byPath = m[1] === '-p' || m[1] === '--prefix';
      const ok = byPath ? (await norm(scan, target)) === scan.prefixReal : target === env;
      if (!ok)
        add(
          scan,
          line,
          'conda run',
          byPath ? prefix : env,
          target,
          'error',
          sedFix(scan.file, line.no, target, byPath ? prefix : env),
        );
    }
    const cp = /\bCONDA_PREFIX=("[^"]*"|'[^']*'|[^\s;]+)/.exec(code);
    if (cp) {
      const value = cp[1]!.replace(/^["']|["']$/g, '');
      if ((await norm(scan, value)) !== scan.prefixReal) {
        add(scan, line, 'CONDA_PREFIX=', prefix, value, 'error', sedFix(scan.file, line.no, value, prefix));
      }
    }
    await checkRefs(scan, line, 'interpreter', code, 'warning');
  }
}

export async function checkRepo(contract: Contract, ctx: DriftContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const prefixReal = await normalizePath(contract.conda.prefix);
  const pythonReal = await normalizePath(contract.conda.pythonPath);
  const groups = [
    ['units', contract.repo.units],
    ['scripts', contract.repo.scripts],
  ] as const;
  for (const [kind, patterns] of groups) {
    // `!pattern` entries exclude files from every other pattern of the same list.
    const { positive, ignore } = splitNegations(patterns);
    for (const { index: i, pattern } of positive) {
      let files: string[];
      try {
        files = await glob(pattern, contract.dir, ignore);
      } catch (err) {
        throw new DriftSourceError('repo', `repo.${kind}[${i}] ${pattern}: ${(err as Error).message}`);
      }
      if (files.length === 0) {
        findings.push({
          source: 'repo',
          service: '*',
          field: `repo.${kind}.${i}`,
          expected: `files matching ${pattern} (relative to ${contract.dir})`,
          actual: 'no match',
          severity: 'warning',
          fix: `correct repo.${kind} in ${contract.file}`,
        });
      }
      for (const file of files) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          throw new DriftSourceError('repo', `${file}: ${(err as Error).message}`);
        }
        const base = file.split('/').at(-1)!;
        const svc = kind === 'units' ? contract.services.find((s) => s.unit === base) : undefined;
        const scan: Scan = {
          contract,
          ctx,
          file,
          rel: relative(contract.dir, file),
          service: svc?.name ?? '*',
          vars: {},
          findings,
          seen: new Set(),
          prefixReal,
          pythonReal,
        };
        const lines = logicalLines(text).filter((l) => !/^\s*[#;]/.test(l.text));
        if (kind === 'units') await checkUnitTemplate(scan, lines);
        else await checkScript(scan, lines);
      }
    }
  }
  return findings;
}
