/**
 * Where `medic install` puts medic's own files, per scope:
 *
 * | | system (root) | user |
 * |---|---|---|
 * | unit | /etc/systemd/system/medic.service | $XDG_CONFIG_HOME/systemd/user/medic.service |
 * | env file | /etc/medic/medic.env | $XDG_CONFIG_HOME/medic/medic.env |
 * | store | /var/lib/medic/medic.db | $XDG_STATE_HOME/medic/medic.db |
 *
 * (XDG_CONFIG_HOME defaults to ~/.config, XDG_STATE_HOME to ~/.local/state.) Another unit name
 * (`--unit medic-b.service`) uses its stem for the folders, so two instances never share files.
 */
import { posix } from 'node:path';
import { cleanPath } from '../../contract/normalize.js';

export type InstallScope = 'system' | 'user';

export interface InstallPaths {
  scope: InstallScope;
  unitName: string;
  unitFile: string;
  configDir: string;
  envFile: string;
  stateDir: string;
  db: string;
}

export interface HomeDirs {
  HOME?: string | undefined;
  XDG_CONFIG_HOME?: string | undefined;
  XDG_STATE_HOME?: string | undefined;
}

export class InstallError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export function installPaths(scope: InstallScope, unitName: string, dirs: HomeDirs): InstallPaths {
  const stem = unitName.replace(/\.service$/, '');
  if (scope === 'system') {
    return {
      scope,
      unitName,
      unitFile: `/etc/systemd/system/${unitName}`,
      configDir: `/etc/${stem}`,
      envFile: `/etc/${stem}/${stem}.env`,
      stateDir: `/var/lib/${stem}`,
      db: `/var/lib/${stem}/${stem}.db`,
    };
  }
  const home = dirs.HOME;
  const abs = (v: string | undefined) => (v?.startsWith('/') ? cleanPath(v) : undefined);
  const config = abs(dirs.XDG_CONFIG_HOME) ?? (home ? posix.join(home, '.config') : undefined);
  const state = abs(dirs.XDG_STATE_HOME) ?? (home ? posix.join(home, '.local', 'state') : undefined);
  if (!config || !state)
    throw new InstallError('scope user needs HOME (or XDG_CONFIG_HOME and XDG_STATE_HOME)');
  return {
    scope,
    unitName,
    unitFile: `${config}/systemd/user/${unitName}`,
    configDir: `${config}/${stem}`,
    envFile: `${config}/${stem}/${stem}.env`,
    stateDir: `${state}/${stem}`,
    db: `${state}/${stem}/${stem}.db`,
  };
}
