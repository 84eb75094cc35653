/**
 * medic's own systemd unit. Hardened only where it cannot get in the way of watching and
 * restarting other units: D-Bus and `systemctl` go through unix sockets, which
 * `ProtectSystem=strict` leaves usable, and nothing here limits address families, namespaces
 * or capabilities that unit control needs. The store is the one writable place.
 */
import { systemdExecLine, systemdPath } from '../../contract/quote.js';
import type { InstallPaths } from './paths.js';

export interface UnitInput {
  paths: InstallPaths;
  /** argv of `medic serve`: node, its flags, bin/medic.mjs, `serve`. */
  execStart: string[];
  contract: string;
  /** Paths medic reads or writes (contract, conda prefix, store): PrivateTmp= would hide /tmp ones. */
  uses: string[];
}

const IN_TMP = /^\/(var\/)?tmp(\/|$)/;

export function renderMedicUnit({ paths, execStart, contract, uses }: UnitInput): string {
  const system = paths.scope === 'system';
  const inTmp = uses.filter((p) => IN_TMP.test(p));
  return [
    '# Written by `medic install`; `medic uninstall` removes it. Settings: the EnvironmentFile.',
    '[Unit]',
    `Description=medic: guarded restarts for the services of ${contract}`,
    ...(system ? ['After=network-online.target dbus.service', 'Wants=network-online.target'] : []),
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${systemdExecLine(execStart)}`,
    `EnvironmentFile=${systemdPath(paths.envFile)}`,
    'Restart=on-failure',
    'RestartSec=5',
    '# The store (SQLite + WAL) and everything medic creates: owner only.',
    'UMask=0077',
    'NoNewPrivileges=yes',
    '# Read-only file system except the store; unix sockets (D-Bus, systemctl) keep working.',
    'ProtectSystem=strict',
    `ReadWritePaths=${systemdPath(paths.stateDir)}`,
    ...(inTmp.length === 0
      ? ['PrivateTmp=yes']
      : [`# No PrivateTmp=: medic uses ${inTmp.join(', ')}, which a private /tmp would hide.`]),
    ...(system ? ['ProtectHome=read-only'] : []),
    '',
    '[Install]',
    `WantedBy=${system ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}
