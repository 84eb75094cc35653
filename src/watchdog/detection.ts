/**
 * Chooses the detection path: D-Bus when the manager answers, else `systemctl show` polling.
 * The choice and its reason are returned so the log and /readyz can say which one runs.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log.js';
import { routeFor } from '../systemd/connect.js';
import { type BusTarget, type Scope, SystemdConnection } from '../systemd/connection.js';
import { DbusMonitor } from './dbus/monitor.js';
import type { MonitorSink, UnitMonitor } from './monitor.js';
import { PollingMonitor } from './polling.js';

export interface DetectionOptions {
  scope: Scope;
  /** XDG_RUNTIME_DIR (scope user). */
  runtimeDir?: string;
  /** Overrides the bus address (`unix:path=...`); `none` disables D-Bus (polling only). */
  busAddress?: string;
  pollIntervalMs: number;
  sink: MonitorSink;
  logger?: Logger;
  /** medic's clock: the connection's call deadlines, the monitors' timers (default: the system clock). */
  clock?: Clock;
}

export interface DetectionChoice {
  monitor: UnitMonitor;
  /** Why D-Bus is not used, or null when it is. */
  fallbackReason: string | null;
}

/** The manager's bus address for these options (`managerRoute`); null when D-Bus is disabled (`none`). */
export function detectionTarget(
  opts: Pick<DetectionOptions, 'scope' | 'runtimeDir' | 'busAddress'>,
): BusTarget | null {
  const { address } = routeFor(opts);
  return address === null ? null : { address };
}

/** Opens D-Bus detection, or polling with the reason D-Bus could not be used. */
export async function openDetection(opts: DetectionOptions): Promise<DetectionChoice> {
  const t = detectionTarget(opts);
  if (t) {
    try {
      const conn = await SystemdConnection.open(t, undefined, opts.clock);
      opts.logger?.info(
        { address: t.address, transport: conn.viaDaemon ? 'bus daemon' : 'private socket' },
        'detection: D-Bus (systemd PropertiesChanged signals)',
      );
      return { monitor: new DbusMonitor(conn, opts.sink, opts.logger, opts.clock), fallbackReason: null };
    } catch (err) {
      const reason = `D-Bus unavailable (${(err as Error).message}); polling systemctl show every ${opts.pollIntervalMs} ms`;
      opts.logger?.warn({ address: t.address }, `detection: ${reason}`);
      return {
        monitor: new PollingMonitor(opts.scope, opts.pollIntervalMs, opts.sink, opts.logger, opts.clock),
        fallbackReason: reason,
      };
    }
  }
  const reason = `D-Bus disabled; polling systemctl show every ${opts.pollIntervalMs} ms`;
  opts.logger?.warn(`detection: ${reason}`);
  return {
    monitor: new PollingMonitor(opts.scope, opts.pollIntervalMs, opts.sink, opts.logger, opts.clock),
    fallbackReason: reason,
  };
}
