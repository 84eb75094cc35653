/**
 * Quoting for the files medic renders: systemd unit settings and POSIX shell.
 *
 * systemd (systemd.service(5) "Command lines", systemd.exec(5) "Environment="): words are split
 * on whitespace, `"…"` quotes, C escapes are decoded; `%` starts a specifier everywhere (`%%` is a
 * literal %); in command lines `$` starts a variable (`$$` is a literal $) but in Environment=
 * `$` has no meaning. A lone `;` separates commands, so it is written `\;`.
 */

const CONTROL: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\', '"': '\\"' };

function cEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (CONTROL[c]) out += CONTROL[c];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

const PLAIN_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One ExecStart= word: `$`→`$$`, `%`→`%%`, quoted when it has anything beyond plain characters. */
export function systemdExecWord(arg: string): string {
  if (arg === ';') return '\\;';
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (PLAIN_WORD.test(arg)) return escaped;
  return `"${cEscape(escaped)}"`;
}

/** A whole ExecStart= value from argv. */
export function systemdExecLine(argv: readonly string[]): string {
  return argv.map(systemdExecWord).join(' ');
}

/** One `Environment=` value: always `"KEY=value"`, C-escaped, `%`→`%%` (`$` stays literal). */
export function systemdEnvAssignment(key: string, value: string): string {
  return `"${cEscape(`${key}=${value}`.replaceAll('%', '%%'))}"`;
}

/** A path setting such as WorkingDirectory= (no quoting syntax; only specifiers need escaping). */
export function systemdPath(path: string): string {
  return path.replaceAll('%', '%%');
}

/** POSIX shell single-quoting: `it's` → `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
