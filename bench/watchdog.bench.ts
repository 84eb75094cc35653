/**
 * Watchdog benchmarks against the real systemd user manager (run through scripts/with-systemd.sh):
 *
 * 1. crash → decision and crash → restarted latency with D-Bus detection (medic serve in-process,
 *    SQLite commit included) over both transports — the manager's private socket and through the
 *    bus daemon it is registered on (scripts/with-systemd.sh bus mode; the production path of
 *    `scope: system`) — vs the same with polling at 1 s, vs systemd's own
 *    `Restart=on-failure RestartSec=100ms` on the same unit (the floor medic is compared with).
 *    The crash time is systemd's ExecMainExitTimestamp; "restarted" is the next main process's
 *    ExecMainStartTimestamp.
 *
 * 2. What detection's self-proof costs (issue 20), over both transports, at N watched units
 *    (the MEDIC_SYSTEMD_UNITS scale units: 2,000 under `npm run bench`): one verification round
 *    (verify.ts: `ListUnitsByNames` of every unit + a full read of 32) and the start-up permission
 *    check (polkit + `Unit.Ref`/`Unref` per unit; through the bus daemon only), each against a bulk
 *    property read of the same units on the same connection in the same run (what a naive
 *    reconciliation poll would cost). Wall time and medic's CPU time, median of the rounds, after
 *    detection started (steady state), not after a fixed sleep. MEDIC_BENCH_PROOF_ONLY=1 runs
 *    only this part.
 *
 * Start-up time, RSS and idle CPU at 1–2,000 units are bench/scale.bench.ts (measured after
 * /readyz and the start-up work, not after a fixed sleep).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { loadEnv } from '../src/config/env.js';
import type { AuditEvent } from '../src/core/audit.js';
import { createLogger } from '../src/log.js';
import { startServe } from '../src/serve/serve.js';
import { SystemdConnection } from '../src/systemd/connection.js';
import { checkPermission } from '../src/systemd/polkit-check.js';
import { readUnitProperties } from '../src/systemd/properties.js';
import { DbusMonitor } from '../src/watchdog/dbus/monitor.js';
import { openDetection } from '../src/watchdog/detection.js';
import type { UnitStatus } from '../src/watchdog/unit-status.js';
import { SignalVerifier } from '../src/watchdog/verify.js';
import { report } from './report.js';

const exec = promisify(execFile);
const systemctl = (...args: string[]) => exec('systemctl', ['--user', ...args]);
const unitDir = () => join(process.env.XDG_CONFIG_HOME ?? '/nonexistent', 'systemd', 'user');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

function contractFor(dir: string, services: Record<string, unknown>[]): string {
  const py = execFileSyncText('python3', [
    '-c',
    'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])',
  ]);
  const [exe, version] = py.split('\n');
  const prefix = join(dir, 'conda', 'envs', 'bench');
  mkdirSync(join(prefix, 'conda-meta'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'conda-meta', 'history'), '');
  symlinkSync(exe!, join(prefix, 'bin', 'python'));
  const file = join(dir, 'contract.yaml');
  const doc = {
    version: 1,
    supervisor: { kind: 'systemd', scope: 'user' },
    conda: { root: join(dir, 'conda'), env: 'bench', python: version },
    services,
  };
  writeFileSync(file, stringify(doc));
  return file;
}

function execFileSyncText(cmd: string, args: string[]): string {
  return String(execFileSync(cmd, args)).trim();
}

const LOOSE = {
  failureThreshold: 100,
  startupGraceSec: 30,
  cooldownSec: 0.001,
  maxRestarts: 30,
  windowSec: 1000,
  backoff: { initialSec: 0.001, factor: 1, maxSec: 0.001 },
  stableSec: 600,
  circuit: { openSec: 60, maxOpenSec: 120, hardStop: true },
};

type Mode = 'dbus' | 'bus' | 'polling';

/** MEDIC_DBUS_ADDRESS per mode: the private socket (default), the bus daemon, none (polling). */
function addressFor(mode: Mode): Record<string, string> {
  if (mode === 'polling') return { MEDIC_DBUS_ADDRESS: 'none' };
  if (mode === 'bus') return { MEDIC_DBUS_ADDRESS: process.env.MEDIC_TEST_BUS_ADDRESS ?? 'none' };
  return {};
}

/** Crash → decision and crash → next start, with medic serving (D-Bus over a transport, or polling). */
async function medicLatency(mode: Mode, crashes: number) {
  const dir = mkdtempSync(join(tmpdir(), `medic-bench-${mode}-`));
  const unit = `bench-${mode}-${process.pid}.service`;
  writeFileSync(join(unitDir(), unit), "[Service]\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\n");
  await systemctl('daemon-reload');
  const contract = contractFor(dir, [{ name: 'b', unit, command: ['python', '-c', 'pass'], policy: LOOSE }]);
  const env = loadEnv({
    MEDIC_DB: join(dir, 'medic.db'),
    MEDIC_PORT: '0',
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    PATH: process.env.PATH,
    MEDIC_POLL_INTERVAL_MS: '1000',
    MEDIC_STATE_PROBE_INTERVAL_MS: '600000',
    ...addressFor(mode),
  });
  const server = await startServe({ env, contractPath: contract, logger: createLogger('silent') });
  const detection = server.readiness().detection;
  if (detection !== (mode === 'polling' ? 'polling' : 'dbus'))
    throw new Error(`bench ${mode}: medic detects via ${detection}`);
  const decided: AuditEvent[] = [];
  server.engine.subscribe((e) => {
    if (e.kind === 'restart_decided' && e.input?.type === 'exited') decided.push(e);
  });
  await systemctl('start', unit);
  const deadline = Date.now() + crashes * 3000 + 5000;
  while (decided.length < crashes + 1 && Date.now() < deadline) await sleep(50);
  await server.close();
  await systemctl('stop', unit).catch(() => {});
  rmSync(join(unitDir(), unit), { force: true });
  const decision: number[] = [];
  const restarted: number[] = [];
  for (let i = 0; i < decided.length; i++) {
    const d = decided[i]!.data as { exitedAt: number; startedAt: number };
    decision.push(decided[i]!.at - d.exitedAt);
    const next = decided[i + 1]?.data as { startedAt: number } | undefined;
    if (next) restarted.push(next.startedAt - d.exitedAt);
  }
  return { decision, restarted };
}

/** systemd's own Restart=on-failure RestartSec=100ms: exit → next start. */
async function systemdFloor(crashes: number): Promise<number[]> {
  const unit = `bench-floor-${process.pid}.service`;
  writeFileSync(
    join(unitDir(), unit),
    "[Service]\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\nRestart=on-failure\nRestartSec=100ms\nStartLimitIntervalSec=0\n",
  );
  await systemctl('daemon-reload');
  const seen: UnitStatus[] = [];
  const { monitor } = await openDetection({
    scope: 'user',
    runtimeDir: process.env.XDG_RUNTIME_DIR,
    pollIntervalMs: 1000,
    sink: { observation() {}, status: (_u, s) => seen.push(s) },
  });
  await monitor.start([unit]);
  await systemctl('start', unit);
  const starts = () => [...new Set(seen.map((s) => s.execMainStartUs).filter(Boolean))];
  const deadline = Date.now() + crashes * 1000 + 5000;
  while (starts().length < crashes + 1 && Date.now() < deadline) await sleep(50);
  await systemctl('stop', unit);
  await monitor.stop();
  rmSync(join(unitDir(), unit), { force: true });
  const exits = new Map<number, number>(); // start → exit of that process
  for (const s of seen)
    if (s.execMainExitUs > s.execMainStartUs) exits.set(s.execMainStartUs, s.execMainExitUs);
  const list = starts().sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i + 1 < list.length; i++) {
    const exit = exits.get(list[i]!);
    if (exit) out.push((list[i + 1]! - exit) / 1000);
  }
  return out;
}

/** Wall ms and medic CPU ms of `fn`, median over `rounds` (after one warm-up). */
async function timed(rounds: number, fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: pct(wall, 50), cpu: pct(cpu, 50) };
}

/** One verification round, the permission check and a bulk read at N units over one transport. */
async function proofCost(address: string, units: string[]) {
  const conn = await SystemdConnection.open({ address }, 30_000);
  const dbus = new DbusMonitor(conn, { observation() {} });
  await dbus.start(units);
  const verifier = new SignalVerifier(dbus.verifySource(), units, { sleep: () => Promise.resolve() });
  const round = await timed(10, () => verifier.round());
  const permission = conn.viaDaemon
    ? await timed(5, () => checkPermission(conn, { scope: 'user', units }))
    : null;
  const bulk = await timed(5, () => readUnitProperties(conn, units));
  await dbus.stop();
  return { round, permission, bulk };
}

async function proofCosts(): Promise<void> {
  const n = Number(process.env.MEDIC_SCALE_UNITS ?? 0);
  if (n === 0) {
    console.log('watchdog: no scale units (MEDIC_SYSTEMD_UNITS=N): proof costs not measured');
    return;
  }
  const units = Array.from({ length: n }, (_, i) => `${process.env.MEDIC_SCALE_PREFIX}${i}.service`);
  const transports: [string, string][] = [
    [
      'private socket',
      `unix:path=${join(process.env.XDG_RUNTIME_DIR ?? '/run/user/0', 'systemd', 'private')}`,
    ],
  ];
  if (process.env.MEDIC_TEST_BUS_ADDRESS) transports.push(['bus daemon', process.env.MEDIC_TEST_BUS_ADDRESS]);
  for (const [name, address] of transports) {
    const c = await proofCost(address, units);
    const bulk = { name: `bulk read of ${n} units`, value: c.bulk.wall };
    report({
      bench: 'watchdog',
      metric: `verification round, ${n} units, ${name}, wall`,
      value: c.round.wall,
      unit: 'ms',
      baseline: bulk,
    });
    report({
      bench: 'watchdog',
      metric: `verification round, ${n} units, ${name}, medic CPU`,
      value: c.round.cpu,
      unit: 'ms',
      baseline: { name: `bulk read of ${n} units`, value: c.bulk.cpu },
    });
    if (c.permission) {
      report({
        bench: 'watchdog',
        metric: `permission check (polkit + Ref/Unref), ${n} units, ${name}, wall`,
        value: c.permission.wall,
        unit: 'ms',
        baseline: bulk,
      });
      report({
        bench: 'watchdog',
        metric: `permission check, ${n} units, ${name}, medic CPU`,
        value: c.permission.cpu,
        unit: 'ms',
        baseline: { name: `bulk read of ${n} units`, value: c.bulk.cpu },
      });
    }
  }
}

export async function run(): Promise<void> {
  if (process.env.MEDIC_TEST_SYSTEMD !== '1') {
    console.log(
      `watchdog: skipped (${process.env.MEDIC_TEST_SYSTEMD_SKIP ?? 'no systemd user manager; run via npm run bench'})`,
    );
    return;
  }
  mkdirSync(unitDir(), { recursive: true });
  await proofCosts();
  if (process.env.MEDIC_BENCH_PROOF_ONLY === '1') return;
  const floor = await systemdFloor(20);
  const dbus = await medicLatency('dbus', 20);
  const bus = process.env.MEDIC_TEST_BUS_ADDRESS ? await medicLatency('bus', 20) : null;
  const polling = await medicLatency('polling', 6);
  const floorP50 = pct(floor, 50);
  report({
    bench: 'watchdog',
    metric: 'crash → decision p50 (D-Bus)',
    value: pct(dbus.decision, 50),
    unit: 'ms',
    goal: '≤ 20 ms',
  });
  report({
    bench: 'watchdog',
    metric: 'crash → decision p99 (D-Bus)',
    value: pct(dbus.decision, 99),
    unit: 'ms',
  });
  if (bus) {
    report({
      bench: 'watchdog',
      metric: 'crash → decision p50 (bus daemon vs private socket)',
      value: pct(bus.decision, 50),
      unit: 'ms',
      baseline: { name: 'private socket', value: pct(dbus.decision, 50) },
      goal: 'as fast as the private socket',
    });
    report({
      bench: 'watchdog',
      metric: 'crash → decision p99 (bus daemon vs private socket)',
      value: pct(bus.decision, 99),
      unit: 'ms',
      baseline: { name: 'private socket', value: pct(dbus.decision, 99) },
    });
    report({
      bench: 'watchdog',
      metric: 'crash → restarted p50 (bus daemon vs systemd 100ms)',
      value: pct(bus.restarted, 50),
      unit: 'ms',
      baseline: { name: 'Restart=on-failure', value: floorP50 },
    });
  } else {
    console.log('watchdog: no bus daemon (MEDIC_SYSTEMD_BUS=none?): bus-daemon latency not measured');
  }
  report({
    bench: 'watchdog',
    metric: 'crash → decision p50 (D-Bus vs polling 1 s)',
    value: pct(dbus.decision, 50),
    unit: 'ms',
    baseline: { name: 'polling', value: pct(polling.decision, 50) },
  });
  report({
    bench: 'watchdog',
    metric: 'crash → decision p99 (polling 1 s)',
    value: pct(polling.decision, 99),
    unit: 'ms',
  });
  report({
    bench: 'watchdog',
    metric: 'crash → restarted p50 (D-Bus vs systemd 100ms)',
    value: pct(dbus.restarted, 50),
    unit: 'ms',
    baseline: { name: 'Restart=on-failure', value: floorP50 },
    goal: 'within 50 ms of systemd',
  });
  report({
    bench: 'watchdog',
    metric: 'crash → restarted p99 (D-Bus)',
    value: pct(dbus.restarted, 99),
    unit: 'ms',
  });
  report({
    bench: 'watchdog',
    metric: 'crash → restarted p99 (systemd 100ms)',
    value: pct(floor, 99),
    unit: 'ms',
  });
  report({
    bench: 'watchdog',
    metric: 'crash → restarted p50 (polling 1 s)',
    value: pct(polling.restarted, 50),
    unit: 'ms',
  });
}
