/**
 * The process backend (`supervisor.kind: process`): medic runs each service's resolved command
 * itself — for development and the demo, where no systemd unit exists.
 *
 * It is both the executor (restart = SIGTERM, SIGKILL after `killGraceMs`, spawn again; stop =
 * the same without the spawn) and the detection path: an exit medic did not cause becomes
 * `exited{code}` (a signal → 128 + its number). Its synthesized `UnitStatus` lets the state
 * probes judge services without an HTTP health check (running = active).
 *
 * Children are not detached; a medic killed with SIGKILL leaves them running (no systemd to
 * reap them) — the demo's service exits when its parent disappears.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { systemClock } from '../clock/clock.js';
import type { ContractService } from '../contract/types.js';
import type { Clock } from '../core/clock.js';
import type { Effect } from '../core/types.js';
import type { ExecResult, Executor, ServiceConfig } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { UnitStatus } from '../systemd/status.js';
import type { MonitorSink, UnitMonitor } from '../watchdog/monitor.js';

export interface ProcessBackendOptions {
  services: ContractService[];
  /** Environment every child gets before its own (CONDA_PREFIX, PATH with <prefix>/bin first, ...). */
  baseEnv: Record<string, string>;
  sink: MonitorSink;
  /** Grace between SIGTERM and SIGKILL (default 3000 ms). */
  killGraceMs?: number;
  /** Each line a child writes (stdout and stderr); default: dropped. */
  output?: (service: string, line: string) => void;
  logger?: Logger;
  /** medic's clock: exit times and the kill grace (default: the system clock). */
  clock?: Clock;
}

interface Slot {
  svc: ContractService;
  child: ChildProcess | null;
  status: UnitStatus;
  /** Exits of these pids were caused by medic (restart/stop): not reported. */
  expected: Set<number>;
  exited: Promise<void> | null;
}

const idle = (): UnitStatus => ({
  loadState: 'loaded',
  activeState: 'inactive',
  subState: 'dead',
  result: 'success',
  execMainCode: 0,
  execMainStatus: 0,
  execMainStartUs: 0,
  execMainExitMono: 0,
  execMainExitUs: 0,
  nRestarts: 0,
  invocationId: '',
  restart: 'no',
});

export class ProcessBackend implements Executor, UnitMonitor {
  readonly detection = 'process' as const;
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  private readonly clock: Clock;

  constructor(private readonly opts: ProcessBackendOptions) {
    this.clock = opts.clock ?? systemClock;
    for (const svc of opts.services) {
      this.slots.set(svc.unit, { svc, child: null, status: idle(), expected: new Set(), exited: null });
    }
  }

  /** Starts the given units' commands (their services must be in the contract). */
  async start(units: string[]): Promise<void> {
    for (const u of units) {
      const slot = this.slots.get(u);
      if (slot && !slot.child) await this.spawn(slot);
    }
  }

  private spawn(slot: Slot): Promise<ExecResult> {
    const { svc } = slot;
    const [cmd, ...args] = svc.argv;
    return new Promise<ExecResult>((resolve) => {
      const child = spawn(cmd!, args, {
        cwd: svc.workingDirectory,
        env: { ...this.opts.baseEnv, ...svc.environment },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      slot.child = child;
      let settled = false;
      child.once('spawn', () => {
        settled = true;
        slot.status = {
          ...slot.status,
          activeState: 'active',
          subState: 'running',
          result: 'success',
          execMainStartUs: this.clock.now() * 1000,
          invocationId: String(child.pid),
        };
        this.opts.sink.status?.(svc.unit, slot.status, undefined);
        resolve({ ok: true });
      });
      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        slot.child = null;
        slot.status = { ...slot.status, activeState: 'failed', subState: 'failed', result: 'resources' };
        resolve({ ok: false, detail: `cannot start ${cmd}: ${err.message}` });
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        const rl = createInterface({ input: stream });
        rl.on('line', (line) => this.opts.output?.(svc.name, line));
      }
      slot.exited = new Promise<void>((done) => {
        child.once('exit', (code, signal) => {
          this.onExit(slot, child, code, signal);
          done();
        });
      });
    });
  }

  private onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child === child) slot.child = null;
    const sig = signal ? (constants.signals[signal] ?? 0) : 0;
    const exitCode = signal ? 128 + sig : (code ?? 0);
    slot.status = {
      ...slot.status,
      activeState: exitCode === 0 ? 'inactive' : 'failed',
      subState: exitCode === 0 ? 'dead' : 'failed',
      result: exitCode === 0 ? 'success' : signal ? 'signal' : 'exit-code',
      execMainCode: signal ? 2 : 1,
      execMainStatus: signal ? sig : (code ?? 0),
      execMainExitMono: this.clock.monotonic() * 1000,
      execMainExitUs: this.clock.now() * 1000,
    };
    const pid = child.pid ?? -1;
    if (slot.expected.delete(pid) || this.stopping) return;
    this.opts.logger?.info(
      { service: slot.svc.name, pid, exitCode },
      `${slot.svc.name} exited with ${exitCode}`,
    );
    this.opts.sink.observation(slot.svc.unit, {
      input: { type: 'exited', code: exitCode },
      data: { pid, signal, code, exitedAt: this.clock.now() },
    });
  }

  /** SIGTERM, then SIGKILL after the grace; resolves once the process is gone. */
  private async kill(slot: Slot): Promise<void> {
    const child = slot.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid !== undefined) slot.expected.add(child.pid);
    const exited = slot.exited;
    child.kill('SIGTERM');
    const timer = this.clock.setTimeout(() => child.kill('SIGKILL'), this.opts.killGraceMs ?? 3000);
    await exited;
    this.clock.clearTimeout(timer);
  }

  async execute(service: ServiceConfig, effect: Effect): Promise<ExecResult> {
    const slot = this.slots.get(service.unit);
    if (!slot) return { ok: false, detail: `no command known for ${service.name}` };
    await this.kill(slot);
    if (effect.type === 'stop') return { ok: true };
    return this.spawn(slot);
  }

  status(unit: string): UnitStatus | undefined {
    return this.slots.get(unit)?.status;
  }

  async refresh(unit: string): Promise<UnitStatus | undefined> {
    return this.status(unit);
  }

  onLost(): void {
    // Children are ours; nothing to lose.
  }

  /** Stops every child (medic is shutting down). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.slots.values()].map((s) => this.kill(s)));
  }
}
