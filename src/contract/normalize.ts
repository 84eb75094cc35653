/**
 * Normalization before comparing, so that equivalent spellings are not drift: symlinks resolved
 * (realpath; a non-existent tail is kept as written), `~` and `$VAR`/`${VAR}` expanded, duplicate
 * and trailing slashes removed, systemd-style quoted arguments split.
 *
 * Nothing here reads process.env: callers pass the variables (the unit's environment first, then
 * the process environment they were given).
 */
import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';

export type Vars = Readonly<Record<string, string | undefined>>;

/** Collapses `//`, resolves `.`/`..` lexically, drops a trailing slash (except for `/`). */
export function cleanPath(p: string): string {
  if (p === '') return p;
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** `~` and `~/x` become `<home>` and `<home>/x` (other `~user` forms are kept). */
export function expandHome(p: string, home: string | undefined): string {
  if (!home) return p;
  if (p === '~') return home;
  if (p.startsWith('~/')) return `${home}${p.slice(1)}`;
  return p;
}

/**
 * Expands `${NAME}` and `$NAME` from `vars` (first match wins across the list). Unknown names
 * are left as written, so a finding shows them. With `dollarDollar` (systemd command lines),
 * `$$` is a literal `$`.
 */
export function expandVars(s: string, vars: Vars | Vars[], opts: { dollarDollar?: boolean } = {}): string {
  const sources = Array.isArray(vars) ? vars : [vars];
  const lookup = (name: string): string | undefined => {
    for (const src of sources) {
      const v = src[name];
      if (v !== undefined) return v;
    }
    return undefined;
  };
  return s.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced, bare) => {
    if (m === '$$') return opts.dollarDollar ? '$' : m;
    return lookup(braced ?? bare) ?? m;
  });
}

/** realpath of the longest existing ancestor, with the rest of the path appended as written. */
export async function realpathLoose(p: string): Promise<string> {
  const clean = cleanPath(p);
  if (!clean.startsWith('/')) return clean;
  const tail: string[] = [];
  let head = clean;
  for (;;) {
    try {
      const real = await realpath(head);
      return cleanPath([real, ...tail.reverse()].join('/'));
    } catch {
      if (head === '/') return clean;
      tail.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

export interface PathContext {
  /** Variables for `$VAR` expansion, searched in order (unit environment, then process env). */
  vars?: Vars[];
  home?: string;
}

/** Expands variables and `~`, cleans slashes and resolves symlinks. */
export async function normalizePath(p: string, ctx: PathContext = {}): Promise<string> {
  const expanded = expandHome(expandVars(p, ctx.vars ?? []), ctx.home);
  return realpathLoose(expanded);
}

/** True when both paths name the same file after normalization (interpreter identity). */
export async function samePath(a: string, b: string, ctx: PathContext = {}): Promise<boolean> {
  return (await normalizePath(a, ctx)) === (await normalizePath(b, ctx));
}

/** True for strings that look like a path we should normalize rather than compare verbatim. */
export function looksLikePath(s: string): boolean {
  return s.startsWith('/') || s === '~' || s.startsWith('~/');
}

const C_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  s: ' ',
};

/**
 * Splits a command or assignment line the way systemd does (`ExecStart=`, `Environment=`):
 * whitespace separates words; `"…"` and `'…'` quote; backslash escapes (`\"`, `\\`, `\n`, `\t`,
 * `\xHH`, `\ `). A trailing backslash is kept. Throws on an unterminated quote.
 */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      const n = line[++i]!;
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 1, i + 3))) {
        cur += String.fromCharCode(Number.parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else cur += C_ESCAPES[n] ?? n;
      inWord = true;
      continue;
    }
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** `["A=1", "B=x=y"]` → `{A: "1", B: "x=y"}` (entries without `=` are skipped). */
export function parseAssignments(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}
