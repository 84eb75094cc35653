/**
 * Parsing `systemctl show -p …` output: systemd's own view of a unit (after drop-ins and
 * specifier resolution). Exec properties look like
 * `ExecStart={ path=/usr/bin/python3 ; argv[]=/usr/bin/python3 -m x ; ignore_errors=no ; … }`
 * and may repeat; argv[] is joined with single spaces and not quoted (systemd 252), so callers
 * compare it word by word after splitting on single spaces.
 */
import { splitArgs } from '../normalize.js';

export const SHOW_PROPERTIES = [
  'ExecStart',
  'Environment',
  'WorkingDirectory',
  'EnvironmentFiles',
  'FragmentPath',
  'DropInPaths',
  'LoadState',
] as const;

export interface ExecCommand {
  path: string;
  /** The raw `argv[]` text (words joined by single spaces). */
  argv: string;
  ignoreErrors: boolean;
}

export interface UnitShow {
  loadState: string;
  exec: ExecCommand[];
  environment: Record<string, string>;
  /** Raw EnvironmentFiles entries: `{path, optional}`. */
  environmentFiles: { path: string; optional: boolean }[];
  workingDirectory: string;
  fragmentPath: string;
  dropInPaths: string[];
}

/** Splits `KEY=value` lines; a property may repeat (ExecStart for oneshot units). */
export function showLines(out: string): Map<string, string[]> {
  const props = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    props.set(key, [...(props.get(key) ?? []), line.slice(eq + 1)]);
  }
  return props;
}

/** Parses one `{ path=… ; argv[]=… ; ignore_errors=… ; … }` value; null when it is not one. */
export function parseExecValue(value: string): ExecCommand | null {
  const m = /^\{ path=(.*?) ; argv\[\]=(.*?) ; (?:ignore_errors=(yes|no)|flags=([^;]*)) ; /s.exec(value);
  if (!m) return null;
  const flags = m[4] ?? '';
  return { path: m[1]!, argv: m[2]!, ignoreErrors: m[3] === 'yes' || flags.includes('ignore-failure') };
}

export function parseShow(out: string): UnitShow {
  const props = showLines(out);
  const one = (k: string) => props.get(k)?.at(-1) ?? '';
  const exec: ExecCommand[] = [];
  for (const v of props.get('ExecStart') ?? []) {
    const cmd = parseExecValue(v);
    if (cmd) exec.push(cmd);
  }
  const environment: Record<string, string> = {};
  for (const w of splitArgs(one('Environment'))) {
    const eq = w.indexOf('=');
    if (eq > 0) environment[w.slice(0, eq)] = w.slice(eq + 1);
  }
  const environmentFiles = (props.get('EnvironmentFiles') ?? []).filter(Boolean).map((v) => {
    const m = /^(.*) \(ignore_errors=(yes|no)\)$/.exec(v);
    return m ? { path: m[1]!, optional: m[2] === 'yes' } : { path: v, optional: false };
  });
  return {
    loadState: one('LoadState'),
    exec,
    environment,
    environmentFiles,
    workingDirectory: one('WorkingDirectory'),
    fragmentPath: one('FragmentPath'),
    dropInPaths: one('DropInPaths').split(' ').filter(Boolean),
  };
}

/**
 * Parses an EnvironmentFile= file (systemd.exec(5)): `KEY=VALUE` lines, `#`/`;` comments,
 * optional `export`, single or double quotes.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.replace(/\\\n/g, '').split('\n')) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    try {
      const words = splitArgs(value);
      if (/^["']/.test(value)) value = words.join(' ');
    } catch {
      // An unterminated quote: keep the raw text, as systemd would report it.
    }
    out[key] = value;
  }
  return out;
}
