/**
 * Chooses the detection path: D-Bus when the manager answers, else `systemctl show` polling.
 * The choice and its reason are returned so the log and /readyz can say which one runs.
 */
import type { Logger } from '../log.js';
import { type BusTarget, busTarget, type Scope, SystemdConnection } from '../systemd/connection.js';
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
}

export interface DetectionChoice {
  monitor: UnitMonitor;
  /** Why D-Bus is not used, or null when it is. */
  fallbackReason: string | null;
}

/** The manager's bus address for these options; null when D-Bus is disabled (`none`). */
export function detectionTarget(
  opts: Pick<DetectionOptions, 'scope' | 'runtimeDir' | 'busAddress'>,
): BusTarget | null {
  if (opts.busAddress === 'none') return null;
  if (opts.busAddress) return { address: opts.busAddress };
  return busTarget(opts.scope, opts.runtimeDir);
}

/** Opens D-Bus detection, or polling with the reason D-Bus could not be used. */
export async function openDetection(opts: DetectionOptions): Promise<DetectionChoice> {
  const t = detectionTarget(opts);
  if (t) {
    try {
      const conn = await SystemdConnection.open(t);
      opts.logger?.info(
        { address: t.address, transport: conn.viaDaemon ? 'bus daemon' : 'private socket' },
        'detection: D-Bus (systemd PropertiesChanged signals)',
      );
      return { monitor: new DbusMonitor(conn, opts.sink, opts.logger), fallbackReason: null };
    } catch (err) {
      const reason = `D-Bus unavailable (${(err as Error).message}); polling systemctl show every ${opts.pollIntervalMs} ms`;
      opts.logger?.warn({ address: t.address }, `detection: ${reason}`);
      return {
        monitor: new PollingMonitor(opts.scope, opts.pollIntervalMs, opts.sink, opts.logger),
        fallbackReason: reason,
      };
    }
  }
  const reason = `D-Bus disabled; polling systemctl show every ${opts.pollIntervalMs} ms`;
  opts.logger?.warn(`detection: ${reason}`);
  return {
    monitor: new PollingMonitor(opts.scope, opts.pollIntervalMs, opts.sink, opts.logger),
    fallbackReason: reason,
  };
}
