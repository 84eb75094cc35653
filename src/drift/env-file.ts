/** EnvironmentFile= files as systemd reads them, for the drift check's effective environment. */
import { splitArgs } from '../contract/normalize.js';

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
