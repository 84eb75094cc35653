/**
 * medic's env file for the installed unit: `.env.example` (which documents every variable
 * medic reads; a test keeps it complete) with the installed values filled in. Variables left
 * empty keep their defaults; the Slack block is left for the operator to fill in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';

export const ENV_TEMPLATE = join(PACKAGE_ROOT, '.env.example');

/** The template with `KEY=` lines replaced for each key in `values` (unknown keys appended). */
export function renderEnvFile(
  values: Record<string, string>,
  template = readFileSync(ENV_TEMPLATE, 'utf8'),
): string {
  const seen = new Set<string>();
  const lines = template.split('\n').map((line) => {
    const m = /^([A-Z_][A-Z0-9_]*)=/.exec(line);
    if (!m || !(m[1]! in values)) return line;
    seen.add(m[1]!);
    return `${m[1]}=${values[m[1]!]}`;
  });
  const extra = Object.keys(values).filter((k) => !seen.has(k));
  const header =
    '# Written by `medic install` (mode 0600: it will hold secrets). Edit, then restart medic.\n';
  return `${header}${lines.join('\n').trimEnd()}\n${extra.length ? `\n# set by medic install\n${extra.map((k) => `${k}=${values[k]}`).join('\n')}\n` : ''}`;
}
