/**
 * A D-Bus connection to the systemd manager, with or without a bus daemon.
 *
 * For scope `user` medic talks to the manager's private socket (`$XDG_RUNTIME_DIR/systemd/private`),
 * a peer-to-peer connection: there is no bus daemon, so dbus-next's automatic `Hello` fails with
 * UnknownObject (ignored here) and `AddMatch` is neither needed nor possible — systemd sends every
 * signal of a subscribed client straight down the socket, and we read them from the raw message
 * stream. For scope `system` the system bus (a real daemon) is used and match rules are added.
 *
 * Every call has a timeout: a dead peer never hangs the watchdog.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DBusError, Message, type MessageBus, MessageType, sessionBus } from '@jellybrick/dbus-next';

export const SYSTEMD_DEST = 'org.freedesktop.systemd1';
export const MANAGER_PATH = '/org/freedesktop/systemd1';
export const MANAGER_IFACE = 'org.freedesktop.systemd1.Manager';
export const PROPS_IFACE = 'org.freedesktop.DBus.Properties';

export type Scope = 'user' | 'system';

/** Where the manager listens: a bus address and whether a bus daemon sits in between. */
export interface BusTarget {
  address: string;
  /** True for a bus daemon (match rules needed); false for a direct (private-socket) peer. */
  viaDaemon: boolean;
}

/**
 * Picks the address for a scope. `user`: the private socket under XDG_RUNTIME_DIR (default
 * /run/user/<uid>). `system`: the manager's private socket when we are root and it exists
 * (what systemctl itself uses), else the system bus.
 */
export function busTarget(scope: Scope, runtimeDir?: string): BusTarget {
  if (scope === 'user') {
    const dir = runtimeDir ?? `/run/user/${process.getuid?.() ?? 0}`;
    return { address: `unix:path=${join(dir, 'systemd', 'private')}`, viaDaemon: false };
  }
  if (process.getuid?.() === 0 && existsSync('/run/systemd/private')) {
    return { address: 'unix:path=/run/systemd/private', viaDaemon: false };
  }
  return { address: 'unix:path=/run/dbus/system_bus_socket', viaDaemon: true };
}

export class DbusUnavailable extends Error {
  readonly code = 'DBUS_UNAVAILABLE';
}

export interface SignalMessage {
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

/** A connected peer: method calls with timeouts, and every incoming signal. */
export class SystemdConnection {
  private readonly signalListeners = new Set<(msg: SignalMessage) => void>();
  private closedReason: string | null = null;
  private readonly closeListeners = new Set<(reason: string) => void>();

  private constructor(
    private readonly bus: MessageBus,
    readonly target: BusTarget,
    private readonly timeoutMs: number,
  ) {
    bus.on('message', (msg) => {
      if (msg.type !== MessageType.SIGNAL) return;
      for (const l of this.signalListeners) l(msg);
    });
  }

  /**
   * Connects and proves the peer answers (a `Subscribe` call, which also turns on signals).
   * Throws DbusUnavailable with the reason when the socket is missing, refuses, or is silent.
   */
  static async open(target: BusTarget, timeoutMs = 2000): Promise<SystemdConnection> {
    let bus: MessageBus;
    try {
      bus = sessionBus({ busAddress: target.address, authMethods: ['EXTERNAL'] });
    } catch (err) {
      throw new DbusUnavailable(`cannot connect to ${target.address}: ${(err as Error).message}`);
    }
    const conn = new SystemdConnection(bus, target, timeoutMs);
    const internals = bus as unknown as { _connection: NodeJS.EventEmitter } & NodeJS.EventEmitter;
    internals.on('error', (err: Error) => {
      // A direct peer is not a bus daemon: the Hello that dbus-next sends is answered with an
      // error. That is expected; any other error means the connection is unusable.
      if (err instanceof DBusError && !target.viaDaemon) return;
      conn.markClosed(err.message);
    });
    internals._connection.on('end', () => conn.markClosed('connection closed by peer'));
    try {
      if (target.viaDaemon) {
        for (const rule of [
          `type='signal',sender='${SYSTEMD_DEST}',interface='${PROPS_IFACE}',member='PropertiesChanged'`,
          `type='signal',sender='${SYSTEMD_DEST}',interface='${MANAGER_IFACE}'`,
        ]) {
          await conn.call(
            'org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus',
            'AddMatch',
            's',
            [rule],
          );
        }
      }
      await conn.callManager('Subscribe', '', []);
    } catch (err) {
      conn.close();
      throw new DbusUnavailable(
        `systemd manager at ${target.address} did not answer: ${(err as Error).message}`,
      );
    }
    return conn;
  }

  get closed(): string | null {
    return this.closedReason;
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const l of this.closeListeners) l(reason);
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  onSignal(listener: (msg: SignalMessage) => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** A method call; rejects on an error reply, a closed connection, or after the timeout. */
  async call(dest: string, path: string, iface: string, member: string, signature: string, body: unknown[]) {
    if (this.closedReason !== null)
      throw new DbusUnavailable(`D-Bus connection closed: ${this.closedReason}`);
    const msg = new Message({ destination: dest, path, interface: iface, member, signature, body });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${member} timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    let off: (() => void) | undefined;
    const onClose = new Promise<never>((_, reject) => {
      off = this.onClose((reason) => reject(new DbusUnavailable(`D-Bus connection closed: ${reason}`)));
    });
    try {
      const reply = await Promise.race([this.bus.call(msg), timeout, onClose]);
      return reply?.body ?? [];
    } finally {
      clearTimeout(timer);
      off?.();
    }
  }

  callManager(member: string, signature: string, body: unknown[]) {
    return this.call(SYSTEMD_DEST, MANAGER_PATH, MANAGER_IFACE, member, signature, body);
  }

  close(): void {
    this.markClosed('closed by medic');
    try {
      this.bus.disconnect();
    } catch {
      // already gone
    }
  }
}
