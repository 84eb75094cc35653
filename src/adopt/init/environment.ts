/**
 * A unit's environment as its process sees it (`Environment=` then each `EnvironmentFile=`,
 * later files winning, as systemd does), what of it goes into the contract, and which of medic's
 * conda variables the unit already carries (`activation`).
 *
 * The contract copies `Environment=` keys only, with their effective values: environment files
 * often hold secrets and are meant to stay out of repositories, and keys that look like secrets
 * are left out too (the drift check compares only what the contract names, so leaving a key out
 * is never a finding). CONDA_PREFIX, PATH and MEDIC_PYTHON are medic's (`activation`).
 */

import { cleanPath } from '../../contract/normalize.js';
import type { Activation } from '../../contract/schema.js';
import { RESERVED_ENV } from '../../contract/schema.js';
import { parseEnvFile } from '../../drift/env-file.js';
import type { InitHost, UnitProperties } from './types.js';

const SECRET = /SECRET|TOKEN|PASSW|CREDENTIAL|PRIVATE|API_?KEY|(^|_)KEY$|(^|_)DSN$|AUTH/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface UnitEnvironment {
  /** What the process gets: Environment= then EnvironmentFiles. */
  effective: Record<string, string>;
  /** Environment= keys, in order. */
  ownKeys: string[];
  /** Notes for the YAML comment (environment files read or unreadable). */
  notes: string[];
}

export function parseAssignmentList(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

export async function unitEnvironment(unit: UnitProperties, host: InitHost): Promise<UnitEnvironment> {
  const own = parseAssignmentList(unit.environment);
  const effective = { ...own };
  const notes: string[] = [];
  for (const file of unit.environmentFiles) {
    const text = await host.readText(file.path);
    if (text === null) {
      if (!file.optional)
        notes.push(`EnvironmentFile=${file.path} cannot be read (systemd will refuse to start the unit)`);
      continue;
    }
    const vars = parseEnvFile(text);
    Object.assign(effective, vars);
    const keys = Object.keys(vars);
    notes.push(
      `EnvironmentFile=${file.path} read for inference (${keys.length ? keys.join(', ') : 'no variables'}); not copied: it stays the unit's`,
    );
  }
  return { effective, ownKeys: Object.keys(own), notes };
}

/** The `environment:` of the service and the keys left out, with why. */
export function contractEnvironment(env: UnitEnvironment): {
  environment: Record<string, string>;
  leftOut: string[];
} {
  const environment: Record<string, string> = {};
  const secrets: string[] = [];
  const invalid: string[] = [];
  for (const key of env.ownKeys) {
    if ((RESERVED_ENV as readonly string[]).includes(key)) continue;
    const value = env.effective[key] ?? '';
    if (!ENV_NAME.test(key) || value.includes('\n') || value.includes('\0')) invalid.push(key);
    else if (SECRET.test(key)) secrets.push(key);
    else environment[key] = value;
  }
  const leftOut: string[] = [];
  if (secrets.length) leftOut.push(`left out, they look like secrets (not checked): ${secrets.join(', ')}`);
  if (invalid.length) leftOut.push(`left out, not representable in a contract: ${invalid.join(', ')}`);
  return { environment, leftOut };
}

/**
 * Which of CONDA_PREFIX / PATH the unit already sets to the contract's prefix: `env` both,
 * `path` PATH only (its first entry is `<prefix>/bin`), `none` otherwise.
 */
export async function activationOf(
  effective: Record<string, string>,
  prefix: string,
  host: InitHost,
): Promise<Activation> {
  const same = async (a: string, b: string) =>
    a.startsWith('/') && (await host.realpath(cleanPath(a))) === (await host.realpath(cleanPath(b)));
  const firstPath = effective.PATH?.split(':')[0] ?? '';
  const pathOk = firstPath !== '' && (await same(firstPath, `${prefix}/bin`));
  const condaOk = effective.CONDA_PREFIX !== undefined && (await same(effective.CONDA_PREFIX, prefix));
  if (pathOk && condaOk) return 'env';
  return pathOk ? 'path' : 'none';
}
