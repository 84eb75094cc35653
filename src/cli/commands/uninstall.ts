/**
 * `medic uninstall [--scope system|user] [--unit NAME] [--purge]`: stops and disables medic's
 * unit and removes it; the env file and the store stay (like a package's config and data)
 * unless `--purge`. Without --scope, the scope whose unit folder holds the unit is used.
 * Exit codes: 0 done; 1 a systemctl step failed; 2 bad flags or the unit is not installed.
 */
import { access } from 'node:fs/promises';
import { applyUninstall } from '../../adopt/install/apply.js';
import { InstallError, type InstallScope, installPaths } from '../../adopt/install/paths.js';
import { assertUnitName } from '../../contract/unit-name.js';
import {
  type Command,
  EXIT_FINDING,
  EXIT_INVALID,
  EXIT_OK,
  parseFlags,
  UsageError,
  writeLine,
} from '../io.js';

export function parseScope(value: string | undefined): InstallScope | undefined {
  if (value === undefined) return undefined;
  if (value !== 'system' && value !== 'user')
    throw new UsageError(`--scope takes system or user (got '${value}')`);
  return value;
}

export function assertServiceUnit(name: string): string {
  try {
    return assertUnitName(name, 'service');
  } catch (err) {
    throw new UsageError(`--unit: ${(err as Error).message}`);
  }
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    scope: { type: 'string' },
    unit: { type: 'string', default: 'medic.service' },
    purge: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const unit = assertServiceUnit(values.unit);
  let scope = parseScope(values.scope);
  try {
    if (!scope) {
      const found: InstallScope[] = [];
      for (const s of ['system', 'user'] as const) {
        const p =
          s === 'user' && !io.env.HOME && !io.env.XDG_CONFIG_HOME ? null : installPaths(s, unit, io.env);
        if (p && ((await exists(p.unitFile)) || (await exists(p.stateDir)))) found.push(s);
      }
      if (found.length !== 1) {
        throw new InstallError(
          found.length === 0
            ? `${unit} is not installed (system or user scope)`
            : `${unit} is installed in both scopes: pass --scope`,
        );
      }
      scope = found[0]!;
    }
    const paths = installPaths(scope, unit, io.env);
    const removed = await applyUninstall({ paths }, { purge: values.purge });
    for (const p of removed) writeLine(io.stdout, `removed ${p}`);
    if (!values.purge)
      writeLine(
        io.stderr,
        `kept the env file ${paths.envFile} and the store ${paths.stateDir} (--purge removes them)`,
      );
    return EXIT_OK;
  } catch (err) {
    if (err instanceof InstallError) {
      writeLine(io.stderr, `medic uninstall: ${err.message}`);
      return err.exitCode === 1 ? EXIT_FINDING : EXIT_INVALID;
    }
    throw err;
  }
};
