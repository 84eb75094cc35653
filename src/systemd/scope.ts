/**
 * THE scope/bus selection: which manager medic talks to for a contract's `supervisor.scope`, at
 * which D-Bus address, and which flags `systemctl`/`journalctl` get. Every place that connects to
 * the manager (detection, reconnect, one-shot reads, `contract init`) or prints or runs a
 * systemctl/journalctl command (executor fallback, polling, install, drift fixes, runbook,
 * rendered fix commands) goes through here.
 *
 * Pure: what the process knows (uid, whether the system manager's private socket exists) comes in
 * as `RouteEnv`; `src/systemd/connect.ts` fills it in. A leaf module (imports nothing of medic) so
 * the contract renderer and the runbook may use it too (.dependency-cruiser.cjs).
 */

export type Scope = 'user' | 'system';

/** The system manager's private socket (root only; systemd lets its peers do anything). */
export const SYSTEM_PRIVATE_SOCKET = '/run/systemd/private';
/** The system bus (a bus daemon: systemd asks polkit about every job from a non-root peer). */
export const SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

export interface RouteEnv {
  /** MEDIC_DBUS_ADDRESS: an explicit address (`unix:path=…`), or `none` (D-Bus off: polling). */
  busAddress?: string;
  /** XDG_RUNTIME_DIR (scope user; default /run/user/<uid>). */
  runtimeDir?: string;
  /** medic's uid. */
  uid: number;
  /** Whether SYSTEM_PRIVATE_SOCKET exists. */
  systemPrivateSocket: boolean;
}

/**
 * How medic reaches the manager:
 * - `private socket`: the manager's own socket; no bus daemon, no polkit (the socket is root's or
 *   the user's own).
 * - `system bus`: through the system bus daemon; systemd asks polkit whether medic may manage
 *   units (unless medic is root).
 * - `override`: MEDIC_DBUS_ADDRESS; the connection's `Hello` tells whether a daemon is there.
 * - `disabled`: MEDIC_DBUS_ADDRESS=none; detection polls `systemctl show`.
 */
export type RouteKind = 'private socket' | 'system bus' | 'override' | 'disabled';

export interface ManagerRoute {
  scope: Scope;
  kind: RouteKind;
  /** The D-Bus address; null when D-Bus is disabled. */
  address: string | null;
  /** Flags every `systemctl` call gets (`--user` for scope user). */
  systemctl: readonly string[];
  /** Flags every `journalctl` call gets (`--user` for scope user). */
  journalctl: readonly string[];
}

/** `--user` for the user manager; nothing for the system manager (systemctl's own default). */
export function scopeFlags(scope: Scope): readonly string[] {
  return scope === 'user' ? ['--user'] : [];
}

/**
 * The route for a scope: an explicit MEDIC_DBUS_ADDRESS wins (`none` turns D-Bus off), else what
 * systemctl itself uses — scope user: `$XDG_RUNTIME_DIR/systemd/private`; scope system: the private
 * socket when medic is root and it exists, else the system bus.
 */
export function managerRoute(scope: Scope, env: RouteEnv): ManagerRoute {
  const flags = scopeFlags(scope);
  const route = (kind: RouteKind, address: string | null): ManagerRoute => ({
    scope,
    kind,
    address,
    systemctl: flags,
    journalctl: flags,
  });
  if (env.busAddress === 'none') return route('disabled', null);
  if (env.busAddress) return route('override', env.busAddress);
  if (scope === 'user') {
    const dir = (env.runtimeDir || `/run/user/${env.uid}`).replace(/\/+$/, '');
    return route('private socket', `unix:path=${dir}/systemd/private`);
  }
  if (env.uid === 0 && env.systemPrivateSocket)
    return route('private socket', `unix:path=${SYSTEM_PRIVATE_SOCKET}`);
  return route('system bus', SYSTEM_BUS_ADDRESS);
}

/** `systemctl` or `systemctl --user`, as typed in a printed command. */
export function systemctlCommand(scope: Scope): string {
  return ['systemctl', ...scopeFlags(scope)].join(' ');
}

/** `journalctl` or `journalctl --user`, as typed in a printed command. */
export function journalctlCommand(scope: Scope): string {
  return ['journalctl', ...scopeFlags(scope)].join(' ');
}

/** argv of `systemctl [--user] ARGS…` (for execFile). */
export function systemctlArgv(scope: Scope, ...args: string[]): string[] {
  return ['systemctl', ...scopeFlags(scope), ...args];
}
