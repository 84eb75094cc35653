/**
 * systemd's unit-name grammar (src/basic/unit-name.c, `unit_name_is_valid`), reusable by anyone
 * who passes a unit name to `execFile('systemctl', ...)`.
 *
 * A unit name is `prefix[@instance].type`: at most 255 characters, a known type suffix, a
 * non-empty prefix of `[A-Za-z0-9:_.\-]`, optionally `@` and an instance (empty instance = a
 * template). `isSafeUnitName` additionally refuses a leading `-` (systemctl would read it as an
 * option) and templates (they cannot be started or shown as one service).
 */

export const UNIT_TYPES = [
  'service',
  'socket',
  'target',
  'device',
  'mount',
  'automount',
  'swap',
  'timer',
  'path',
  'slice',
  'scope',
] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

const UNIT_NAME_MAX = 255;
const VALID_CHAR = /^[A-Za-z0-9:_.\\@-]$/;

export type UnitNameKind = 'plain' | 'instance' | 'template';

/** Classifies a unit name per systemd's grammar, or returns null when it is not valid. */
export function unitNameKind(name: string): UnitNameKind | null {
  if (typeof name !== 'string' || name.length === 0 || name.length > UNIT_NAME_MAX) return null;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  if (!(UNIT_TYPES as readonly string[]).includes(name.slice(dot + 1))) return null;
  let at = -1;
  for (let i = 0; i < dot; i++) {
    const c = name[i]!;
    if (!VALID_CHAR.test(c)) return null;
    if (c === '@' && at < 0) at = i;
  }
  if (at === 0) return null;
  if (at < 0) return 'plain';
  return at === dot - 1 ? 'template' : 'instance';
}

/** True for any name systemd accepts (plain, instance or template). */
export function isValidUnitName(name: string): boolean {
  return unitNameKind(name) !== null;
}

/**
 * Why `name` may not be passed to systemctl as one concrete unit, or null when it may.
 * `type` restricts the suffix (medic supervises `.service` units).
 */
export function unitNameProblem(name: string, type?: UnitType): string | null {
  const kind = unitNameKind(name);
  if (kind === null) {
    return `'${name}' is not a valid systemd unit name (prefix[@instance].type, characters A-Z a-z 0-9 : _ . \\ -, at most ${UNIT_NAME_MAX})`;
  }
  if (kind === 'template')
    return `'${name}' is a template; name an instance (e.g. ${name.replace('@.', '@1.')})`;
  if (name.startsWith('-')) return `'${name}' starts with '-', which systemctl would read as an option`;
  if (type && !name.endsWith(`.${type}`)) return `'${name}' must be a .${type} unit`;
  return null;
}

/** True when `name` is a concrete unit that is safe to pass to execFile('systemctl', ...). */
export function isSafeUnitName(name: string, type?: UnitType): boolean {
  return unitNameProblem(name, type) === null;
}

export class UnitNameError extends Error {
  readonly code = 'UNIT_NAME_INVALID';
  constructor(message: string) {
    super(message);
  }
}

/** Throws UnitNameError unless `name` is a concrete, safe unit name; returns it otherwise. */
export function assertUnitName(name: string, type?: UnitType): string {
  const problem = unitNameProblem(name, type);
  if (problem) throw new UnitNameError(problem);
  return name;
}
