/**
 * Longer than ~200 lines on purpose: the one connection to the manager — Hello, match rules,
 * NameOwnerChanged, call timeouts and close handling share its socket and its lifecycle.
 *
 * THE connection medic holds to the systemd manager — detection, jobs (restart/stop) and property
 * reads all go over it. Other parts get it from the watchdog (`Watchdog.systemd()`), never open
 * their own.
 *
 * Two transports, told apart by the peer itself (the `Hello` every client sends first):
 * - **a bus daemon** (the system bus on every `scope: system` host run by a non-root medic, a
 *   session bus): `Hello` is answered with our unique name. The daemon delivers a signal only to
 *   connections with a matching rule, so `open` adds match rules (`AddMatch`) for the manager's
 *   `JobRemoved` and `NameOwnerChanged` of `org.freedesktop.systemd1`; the monitor adds one per
 *   watched unit's `PropertiesChanged` (`watchUnit`). `Subscribe` then makes systemd emit them.
 *   When the manager's bus name changes owner (re-exec, restart) the connection is treated as
 *   lost (`onClose`): the watchdog polls and reconnects, which subscribes again.
 * - **a direct peer** (the manager's private socket, `$XDG_RUNTIME_DIR/systemd/private` or
 *   `/run/systemd/private`): `Hello` is refused (no daemon) and systemd writes every signal
 *   straight down the socket; match rules are neither needed nor possible.
 *
 * Every call has a timeout, on medic's Clock: a dead peer never hangs the watchdog. Which address
 * a scope uses is `managerRoute` (scope.ts).
 */
import { DBusError, Message, type MessageBus, MessageType, sessionBus } from '@jellybrick/dbus-next';
import { systemClock } from '../clock/clock.js';
import type { Clock, Timer } from '../core/clock.js';

export const SYSTEMD_DEST = 'org.freedesktop.systemd1';
export const MANAGER_PATH = '/org/freedesktop/systemd1';
export const MANAGER_IFACE = 'org.freedesktop.systemd1.Manager';
export const PROPS_IFACE = 'org.freedesktop.DBus.Properties';
const BUS_DEST = 'org.freedesktop.DBus';
const BUS_PATH = '/org/freedesktop/DBus';

export type { Scope } from './scope.js';

/** Where the manager listens (a bus daemon or its private socket; `open` finds out which). */
export interface BusTarget {
  address: string;
}

/** The match rules a daemon-routed connection needs besides the per-unit ones. */
export const MANAGER_MATCHES = [
  `type='signal',sender='${SYSTEMD_DEST}',path='${MANAGER_PATH}',interface='${MANAGER_IFACE}',member='JobRemoved'`,
  `type='signal',sender='${BUS_DEST}',path='${BUS_PATH}',interface='${BUS_DEST}',member='NameOwnerChanged',arg0='${SYSTEMD_DEST}'`,
];

/**
 * A unit's object path: systemd escapes every byte of the name that is not a letter (or a digit
 * after the first byte) as `_xx` (lowercase hex), like sd_bus_path_encode.
 */
export function unitObjectPath(unit: string): string {
  let label = '';
  for (const [i, byte] of [...Buffer.from(unit, 'utf8')].entries()) {
    const c = String.fromCharCode(byte);
    label += /[A-Za-z]/.test(c) || (i > 0 && /[0-9]/.test(c)) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return `${MANAGER_PATH}/unit/${label}`;
}

/** Match rule for one unit object's PropertiesChanged. */
export function unitMatch(path: string): string {
  return `type='signal',sender='${SYSTEMD_DEST}',path='${path}',interface='${PROPS_IFACE}',member='PropertiesChanged'`;
}

/** One rule for every unit's PropertiesChanged (used above `MAX_UNIT_MATCHES` watched units). */
export const ALL_UNITS_MATCH = `type='signal',sender='${SYSTEMD_DEST}',path_namespace='${MANAGER_PATH}/unit',interface='${PROPS_IFACE}',member='PropertiesChanged'`;

/**
 * Up to this many watched units get one match rule each; above it one namespace rule for all units
 * (bus daemons limit rules per connection: 512 by default on the system bus) and medic filters.
 */
export const MAX_UNIT_MATCHES = 256;

export class DbusUnavailable extends Error {
  readonly code = 'DBUS_UNAVAILABLE';
}

export interface SignalMessage {
  sender?: string;
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

type Internals = MessageBus & { _connection: NodeJS.EventEmitter };

/** The bus's untyped side: dbus-next emits 'error' but does not declare it. */
const untyped = (bus: MessageBus) => bus as unknown as NodeJS.EventEmitter;

/**
 * The answer to the `Hello` dbus-next sends first: our unique name (a bus daemon), 'refused' (a
 * direct peer answers with an error), or 'silent' after `waitMs`. systemd 252's private socket
 * sometimes never answers that first message (seen in ~1 of 3 connections here), while later
 * calls are answered; a silent peer is therefore asked again (`probeDaemon`).
 */
function hello(bus: Internals, waitMs: number, clock: Clock): Promise<string | 'refused' | 'silent'> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => finish('silent'), waitMs);
    const finish = (outcome: string | Error) => {
      clock.clearTimeout(timer);
      bus.off('connect', onConnect);
      untyped(bus).off('error', onError);
      bus._connection.off('end', onEnd);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onConnect = () => finish(bus.name ?? 'refused');
    const onError = (err: Error) => finish(err instanceof DBusError ? 'refused' : err);
    const onEnd = () => finish(new Error('connection closed during Hello'));
    bus.on('connect', onConnect);
    untyped(bus).on('error', onError);
    bus._connection.on('end', onEnd);
  });
}

/**
 * Asks again after a silent Hello: a bus daemon answers `GetId` (after the Hello reply, in order:
 * our unique name is then known); a direct peer answers with an error.
 */
async function probeDaemon(bus: Internals, timeoutMs: number, clock: Clock): Promise<string | 'refused'> {
  const msg = new Message({ destination: BUS_DEST, path: BUS_PATH, interface: BUS_DEST, member: 'GetId' });
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([bus.call(msg), timeout]);
    return bus.name ?? 'refused';
  } catch (err) {
    if (err instanceof DBusError) return 'refused';
    throw err;
  } finally {
    clock.clearTimeout(timer);
  }
}

/** How long to wait for the Hello answer before asking again (a direct peer may stay silent). */
const HELLO_WAIT_MS = 500;

/** A connected manager: method calls with timeouts, and every incoming signal. */
export class SystemdConnection {
  private readonly signalListeners = new Set<(msg: SignalMessage) => void>();
  private closedReason: string | null = null;
  private readonly closeListeners = new Set<(reason: string) => void>();
  /** The manager's unique name on the bus daemon (null for a direct peer). */
  private managerOwner: string | null = null;

  private constructor(
    private readonly bus: Internals,
    readonly target: BusTarget,
    /** Our unique name on the bus daemon; null for a direct peer (private socket). */
    readonly uniqueName: string | null,
    private readonly timeoutMs: number,
    /** Times every call (and the jobs `SystemdUnits` waits for). */
    readonly clock: Clock,
  ) {
    bus.on('message', (msg) => {
      if (msg.type !== MessageType.SIGNAL) return;
      if (this.isManagerGone(msg)) return;
      for (const l of this.signalListeners) l(msg);
    });
    // Error replies reach their callers; any other error means the connection is unusable.
    untyped(bus).on('error', (err: Error) => {
      if (!(err instanceof DBusError)) this.markClosed(err.message);
    });
    bus._connection.on('end', () => this.markClosed('connection closed by peer'));
  }

  /** True when the connection goes through a bus daemon (match rules in use). */
  get viaDaemon(): boolean {
    return this.uniqueName !== null;
  }

  /**
   * Connects, tells a bus daemon from a direct peer (`Hello`), adds the match rules a daemon
   * needs, and `Subscribe`s (which also proves the manager answers). Throws DbusUnavailable with
   * the reason when the socket is missing, refuses, is silent, or the manager is not on the bus.
   */
  static async open(
    target: BusTarget,
    timeoutMs = 2000,
    clock: Clock = systemClock,
  ): Promise<SystemdConnection> {
    let bus: Internals;
    try {
      bus = sessionBus({ busAddress: target.address, authMethods: ['EXTERNAL'] }) as Internals;
    } catch (err) {
      throw new DbusUnavailable(`cannot connect to ${target.address}: ${(err as Error).message}`);
    }
    // An 'error' event without a listener would throw; the real handling is in hello() and the constructor.
    untyped(bus).on('error', () => {});
    let answer: string;
    try {
      answer = await hello(bus, Math.min(HELLO_WAIT_MS, timeoutMs), clock);
    } catch (err) {
      bus.disconnect();
      throw new DbusUnavailable(`cannot connect to ${target.address}: ${(err as Error).message}`);
    }
    if (answer === 'silent') {
      try {
        answer = await probeDaemon(bus, timeoutMs, clock);
      } catch (err) {
        bus.disconnect();
        throw new DbusUnavailable(`no answer at ${target.address}: ${(err as Error).message}`);
      }
    }
    const unique = answer === 'refused' ? null : answer;
    const conn = new SystemdConnection(bus, target, unique, timeoutMs, clock);
    try {
      if (conn.viaDaemon) {
        // Rules first, then the owner, then Subscribe: nothing systemd sends after Subscribe is lost.
        for (const rule of MANAGER_MATCHES) await conn.addMatch(rule);
        try {
          const [owner] = (await conn.call(BUS_DEST, BUS_PATH, BUS_DEST, 'GetNameOwner', 's', [
            SYSTEMD_DEST,
          ])) as [string];
          conn.managerOwner = owner;
        } catch (err) {
          throw new Error(`${SYSTEMD_DEST} is not on this bus (${(err as Error).message})`);
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

  /** NameOwnerChanged for systemd1 away from the owner we subscribed with: the manager is gone. */
  private isManagerGone(msg: SignalMessage): boolean {
    if (msg.interface !== BUS_DEST || msg.member !== 'NameOwnerChanged') return false;
    const [name, , newOwner] = msg.body as [string, string, string];
    if (name !== SYSTEMD_DEST || this.managerOwner === null) return true;
    if (newOwner !== this.managerOwner) {
      this.close(
        newOwner === ''
          ? `${SYSTEMD_DEST} left the bus (manager re-executing or restarting)`
          : `${SYSTEMD_DEST} changed owner (manager restarted)`,
      );
    }
    return true;
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

  /** Adds a match rule on a bus daemon (no-op on a direct peer, which sends everything). */
  async addMatch(rule: string): Promise<void> {
    if (!this.viaDaemon) return;
    await this.call(BUS_DEST, BUS_PATH, BUS_DEST, 'AddMatch', 's', [rule]);
  }

  /** Removes a match rule (tests use it to make the daemon drop signals). */
  async removeMatch(rule: string): Promise<void> {
    if (!this.viaDaemon) return;
    await this.call(BUS_DEST, BUS_PATH, BUS_DEST, 'RemoveMatch', 's', [rule]);
  }

  /** A method call; rejects on an error reply, a closed connection, or after the timeout. */
  async call(dest: string, path: string, iface: string, member: string, signature: string, body: unknown[]) {
    if (this.closedReason !== null)
      throw new DbusUnavailable(`D-Bus connection closed: ${this.closedReason}`);
    const msg = new Message({ destination: dest, path, interface: iface, member, signature, body });
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
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
      this.clock.clearTimeout(timer);
      off?.();
    }
  }

  callManager(member: string, signature: string, body: unknown[]) {
    return this.call(SYSTEMD_DEST, MANAGER_PATH, MANAGER_IFACE, member, signature, body);
  }

  /** Closes the connection; `onClose` listeners get `reason`. */
  close(reason = 'closed by medic'): void {
    this.markClosed(reason);
    try {
      this.bus.disconnect();
    } catch {
      // already gone
    }
  }
}
