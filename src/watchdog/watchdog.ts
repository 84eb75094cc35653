/**
 * Longer than ~200 lines on purpose: the D-Bus ⇄ polling switch-over and the start order are
 * one lifecycle that reads best in one place.
 *
 * The watchdog: detection (D-Bus ⇄ polling fallback, or the process backend), health probes and
 * the executor, wired to the engine. It decides nothing: every observation goes to
 * `engine.submit`, which decides, commits and hands effects back to `executor`.
 *
 * Lifecycle: `createWatchdog()` (the executor exists before the engine, which needs it) →
 * `start(engine, store)` (reconcile open intents, read initial unit states, start probes) →
 * `stop()` (probes and detection stop; the process backend also stops its children).
 */
import { systemClock } from '../clock/clock.js';
import type { Contract } from '../contract/types.js';
import type { Clock, Timer } from '../core/clock.js';
import { isHeartbeat } from '../core/observe.js';
import type { Readiness } from '../core/readiness.js';
import type { EngineStore } from '../engine/store-port.js';
import type { Engine, Executor } from '../engine/types.js';
import { ProcessBackend } from '../executors/process.js';
import { SystemdExecutor } from '../executors/systemd.js';
import type { Logger } from '../log.js';
import { oneShotReader } from '../systemd/connect.js';
import { SystemdConnection } from '../systemd/connection.js';
import { readUnitProperties, type UnitPropertyReader } from '../systemd/properties.js';
import type { SystemdUnits } from '../systemd/units.js';
import { DbusMonitor } from './dbus/monitor.js';
import { detectionTarget, openDetection } from './detection.js';
import type { MonitorSink, UnitMonitor } from './monitor.js';
import { PermissionWatch } from './permission.js';
import { PollingMonitor } from './polling.js';
import { Prober } from './probes.js';
import { reconcileOpenIntents } from './reconcile.js';
import { Reconnector } from './reconnect.js';
import type { Observation } from './unit-status.js';
import { type MissedSignal, SignalVerifier } from './verify.js';

export interface WatchdogOptions {
  contract: Contract;
  logger: Logger;
  /** XDG_RUNTIME_DIR for scope user. */
  runtimeDir?: string;
  /** Bus address override; `none` = polling only. */
  busAddress?: string;
  pollIntervalMs: number;
  /** State-probe interval for services without HTTP health (default 10000 ms). */
  stateIntervalMs?: number;
  /** Process backend: environment before each service's own. */
  baseEnv?: Record<string, string>;
  /** Process backend: each line a child prints. */
  output?: (service: string, line: string) => void;
  killGraceMs?: number;
  /** medic's clock (default: the system clock). */
  clock?: Clock;
  /** Every HTTP probe's duration and result (metrics). */
  onProbe?: (service: string, seconds: number, ok: boolean) => void;
  /** How often D-Bus detection proves itself (verify.ts; default 10000 ms). */
  verifyIntervalMs?: number;
  /** How long a difference may be a signal on its way (default 1000 ms). */
  verifyGraceMs?: number;
  /** Every missed signal the verification found (metrics: medic_missed_signals_total). */
  onMissedSignal?: (service: string) => void;
}

/** Missed signals on one D-Bus connection before detection falls back to polling for good. */
export const MAX_MISSED_SIGNALS = 3;

export interface Watchdog {
  readonly executor: Executor;
  start(engine: Engine, store: EngineStore): Promise<void>;
  readiness(): Readiness;
  /**
   * Reads unit properties in bulk (drift): over detection's D-Bus connection while it is up,
   * else over a connection opened for the read.
   */
  readonly readUnits: UnitPropertyReader;
  /** The active detection path (after start). */
  monitor(): UnitMonitor | null;
  /**
   * The one D-Bus connection to the systemd manager (units, jobs, property reads) while D-Bus
   * detection runs; null while polling, for the process backend, and before start. Read it at
   * each use — a reconnect replaces it — and open no other connection to the manager.
   */
  systemd(): SystemdUnits | null;
  /** Stops probes and detection: no more observations reach the engine. */
  stop(): Promise<void>;
  /** After engine.close(): the process backend stops its children (no-op for systemd). */
  dispose(): Promise<void>;
}

export function createWatchdog(opts: WatchdogOptions): Watchdog {
  const { contract, logger } = opts;
  const log = logger.child({ component: 'watchdog' });
  const clock = opts.clock ?? systemClock;
  const scope = contract.supervisor.scope;
  const unitToService = new Map(contract.services.map((s) => [s.unit, s.name]));
  const units = contract.services.map((s) => s.unit);
  let engine: Engine | null = null;
  let monitor: UnitMonitor | null = null;
  let prober: Prober | null = null;
  let fallbackReason: string | null = null;
  let started = false;
  let stopped = false;
  let startError: string | null = null;
  /** Set when D-Bus missed signals repeatedly: polling from then on, no reconnect. */
  let distrusted = false;
  let verifyTimer: Timer | null = null;
  /** May medic manage the units? Checked over every D-Bus connection (issue 20, docs/SYSTEMD.md). */
  const permission = new PermissionWatch(scope, units, log);

  const submit = (service: string, obs: Observation, source: 'systemd' | 'process' | 'probe') => {
    if (!engine || stopped) return;
    // A passing probe of a steadily healthy service is a heartbeat, not a decision (core/observe.ts).
    const state = engine.state(service);
    if (state && isHeartbeat(state, obs.input)) return;
    engine.submit(service, obs.input, { source, data: obs.data }).catch((err) => {
      log.error({ err, service, input: obs.input }, 'submit failed');
    });
  };

  const sink: MonitorSink = {
    observation(unit, obs) {
      const service = unitToService.get(unit);
      if (!service) return;
      log.debug(
        { service, unit, detection: monitor?.detection, input: obs.input, data: obs.data },
        'observation',
      );
      submit(service, obs, contract.supervisor.kind === 'process' ? 'process' : 'systemd');
    },
  };

  const processBackend =
    contract.supervisor.kind === 'process'
      ? new ProcessBackend({
          services: contract.services,
          baseEnv: opts.baseEnv ?? {},
          sink,
          killGraceMs: opts.killGraceMs,
          output: opts.output,
          logger: log,
          clock,
        })
      : null;
  const executor: Executor =
    processBackend ??
    new SystemdExecutor({
      scope,
      dbus: () => (monitor instanceof DbusMonitor ? monitor.units : null),
      logger: log,
    });

  const busTarget = processBackend ? null : detectionTarget({ scope, ...opts });
  const reconnector = busTarget
    ? new Reconnector({
        target: busTarget,
        connected: (conn) => switchToDbus(conn),
        logger: log,
        open: (t) => SystemdConnection.open(t, undefined, clock),
        clock,
      })
    : null;

  /**
   * D-Bus lost (or, with `fallback` given, no longer trusted): poll from the last known snapshots
   * on, and — unless distrusted — try to get D-Bus back.
   */
  async function switchToPolling(reason: string, from: UnitMonitor, fallback?: string): Promise<void> {
    if (stopped || monitor !== from) return;
    fallbackReason = `${fallback ?? `D-Bus connection lost (${reason})`}; polling systemctl show every ${opts.pollIntervalMs} ms`;
    log.warn(`detection: ${fallbackReason}`);
    const polling = new PollingMonitor(scope, opts.pollIntervalMs, sink, log, clock);
    monitor = polling;
    await from.stop(polling.tracker);
    await polling.start(units);
    if (!distrusted) reconnector?.start();
  }

  /**
   * Detection proves itself while D-Bus runs (verify.ts): every `verifyIntervalMs` systemd's state
   * is compared with medic's belief. A missed signal is logged, counted and decided at once; after
   * MAX_MISSED_SIGNALS on one connection detection polls for good (the connection cannot be
   * trusted; a medic restart tries D-Bus again), and /readyz says so.
   */
  function startVerifying(dbus: DbusMonitor): void {
    const verifier = new SignalVerifier(dbus.verifySource(), units, {
      graceMs: opts.verifyGraceMs,
      sleep: (ms) =>
        new Promise((resolve) => {
          verifyTimer = clock.setTimeout(resolve, ms);
        }),
    });
    let missedTotal = 0;
    const report = (m: MissedSignal) => {
      missedTotal++;
      const service = unitToService.get(m.unit);
      if (service) opts.onMissedSignal?.(service);
      log.warn(
        {
          service,
          unit: m.unit,
          transport: dbus.conn.viaDaemon ? 'bus daemon' : 'private socket',
          believed: `${m.believed.activeState}/${m.believed.subState}`,
          actual: `${m.actual.activeState}/${m.actual.subState}`,
          missed: missedTotal,
        },
        `missed signal: systemd changed ${m.unit} without medic hearing of it; decided from a fresh read`,
      );
    };
    const round = async () => {
      verifyTimer = null;
      if (stopped || monitor !== dbus) return;
      // A refused permission is asked again (an operator may have installed the rule meanwhile).
      if (permission.current()?.ok === false) await permission.check(dbus.conn);
      try {
        for (const m of await verifier.round()) report(m);
      } catch (err) {
        // A failing read is the connection's problem: its loss is handled by onLost.
        log.debug({ err: (err as Error).message }, 'signal verification round failed');
      }
      if (stopped || monitor !== dbus) return;
      if (missedTotal >= MAX_MISSED_SIGNALS) {
        distrusted = true;
        await switchToPolling(
          'missed signals',
          dbus,
          `D-Bus detection missed ${missedTotal} signals (systemd changed units without medic hearing of it)`,
        );
        return;
      }
      schedule();
    };
    const schedule = () => {
      verifyTimer = clock.setTimeout(() => {
        round().catch((err) => log.error({ err }, 'signal verification failed'));
      }, opts.verifyIntervalMs ?? 10_000);
    };
    schedule();
  }

  /**
   * D-Bus is back: the polling monitor stops and hands its snapshots over, then every unit is
   * re-read over D-Bus and translated against them (an exit polling reported is not reported
   * again; one in between is). The executor reads `monitor.units` at each call: the new
   * connection from here on. Throws (→ retry later) when the connection dies while reading.
   */
  async function switchToDbus(conn: SystemdConnection): Promise<void> {
    const from = monitor;
    if (stopped || !from) return conn.close();
    const dbus = new DbusMonitor(conn, sink, log, clock);
    dbus.onLost((reason) => {
      switchToPolling(reason, dbus).catch((err) => log.error({ err }, 'polling fallback failed'));
    });
    monitor = dbus;
    await from.stop(dbus.tracker);
    try {
      await dbus.start(units);
    } catch (err) {
      await switchToPolling((err as Error).message, dbus);
      throw err;
    }
    if (stopped) return dbus.stop();
    await permission.check(conn);
    if (stopped) return dbus.stop();
    fallbackReason = null;
    startVerifying(dbus);
    log.info({ address: conn.target.address }, 'detection: D-Bus reconnected; polling stopped');
  }

  const oneShot = oneShotReader({ scope, runtimeDir: opts.runtimeDir, busAddress: opts.busAddress });
  const readUnits: UnitPropertyReader = async (names) => {
    if (!(monitor instanceof DbusMonitor) || monitor.conn.closed !== null) return oneShot(names);
    // Right after start, the bulk read detection just did serves the first drift check too.
    return monitor.takeInitialRead(names) ?? readUnitProperties(monitor.conn, names);
  };

  return {
    executor,
    readUnits,
    async start(eng, store) {
      engine = eng;
      try {
        if (processBackend) {
          monitor = processBackend;
        } else {
          const choice = await openDetection({
            scope,
            runtimeDir: opts.runtimeDir,
            busAddress: opts.busAddress,
            pollIntervalMs: opts.pollIntervalMs,
            sink,
            logger: log,
            clock,
          });
          monitor = choice.monitor;
          fallbackReason = choice.fallbackReason;
          const first = monitor;
          first.onLost((reason) => {
            switchToPolling(reason, first).catch((err) => log.error({ err }, 'polling fallback failed'));
          });
        }
        const reconcile = (m: Pick<UnitMonitor, 'refresh'>) =>
          reconcileOpenIntents({
            engine: eng,
            store,
            monitor: m,
            now: () => clock.now(),
            logger: log,
          });
        if (processBackend) {
          // A service whose circuit is open was hard-stopped: starting it would be a restart
          // the policy did not allow. Children start first, so a restart intent left open by a
          // crash is answered by the process medic just started.
          const startable = contract.services.filter((s) => eng.view(s.name)?.state.tag !== 'circuit_open');
          await processBackend.start(startable.map((s) => s.unit));
          await reconcile(processBackend);
        } else {
          await reconcile(monitor);
          try {
            await monitor.start(units);
          } catch (err) {
            // A manager too slow to answer the initial read (a loaded host, thousands of units)
            // is not a reason to exit: poll, and get D-Bus back as after a lost connection.
            if (!(monitor instanceof DbusMonitor)) throw err;
            await switchToPolling(`initial read failed: ${(err as Error).message}`, monitor);
          }
          if (monitor instanceof PollingMonitor) reconnector?.start();
          if (monitor instanceof DbusMonitor) {
            await permission.check(monitor.conn);
            startVerifying(monitor);
          }
        }
        prober = new Prober({
          targets: contract.services.map((s) => ({ service: s.name, unit: s.unit, health: s.health })),
          unitStatus: (unit) => monitor?.status(unit),
          report: (service, input, data) => submit(service, { input, data }, 'probe'),
          stateIntervalMs: opts.stateIntervalMs,
          observe: opts.onProbe,
          logger: log,
          clock,
        });
        prober.start();
        started = true;
        log.info(
          { detection: monitor.detection, services: contract.services.length },
          `watching ${contract.services.length} service(s) via ${monitor.detection}`,
        );
      } catch (err) {
        startError = (err as Error).message;
        throw err;
      }
    },
    readiness() {
      const reasons: string[] = [];
      if (startError) reasons.push(`watchdog failed to start: ${startError}`);
      else if (!started) reasons.push('watchdog starting');
      if (stopped) reasons.push('watchdog stopped');
      if (fallbackReason) reasons.push(fallbackReason);
      if (monitor instanceof PollingMonitor && monitor.lastError)
        reasons.push(`last poll failed: ${monitor.lastError}`);
      const allowed = permission.current();
      if (allowed && !allowed.ok) reasons.push(allowed.message);
      return {
        ready: started && !stopped && startError === null && allowed?.ok !== false,
        ...(allowed ? { permission: allowed } : {}),
        reasons,
        // Mid-switch to D-Bus (fallback reason still set) we still say polling: the units are being re-read.
        detection: fallbackReason && monitor ? 'polling' : (monitor?.detection ?? null),
      };
    },
    monitor: () => monitor,
    systemd: () => (monitor instanceof DbusMonitor && monitor.conn.closed === null ? monitor.units : null),
    async stop() {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(verifyTimer);
      await reconnector?.stop();
      await prober?.stop();
      if (monitor !== processBackend) await monitor?.stop();
    },
    async dispose() {
      stopped = true;
      await processBackend?.stop();
    },
  };
}
