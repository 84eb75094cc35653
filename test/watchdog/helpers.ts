/**
 * Shared pieces of the watchdog tests: conda-layout environments in temp dirs, contracts, a
 * log capture, and `medic serve` in-process or as a child process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadEnv } from '../../src/config/env.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { createLogger } from '../../src/log.js';
import { type RunningServe, startServe } from '../../src/serve/serve.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let realPython: string | null = null;
/** The machine's python3, resolved through shims (pyenv) to the real interpreter. */
export function python3(): string {
  realPython ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
  return realPython;
}

/** A conda-layout root: `<root>/envs/<env>/{conda-meta/history, bin/python -> python3}`. */
export function makeConda(base: string, env = 'medic-test'): { root: string; env: string; prefix: string } {
  const root = join(base, 'conda');
  const prefix = join(root, 'envs', env);
  mkdirSync(join(prefix, 'conda-meta'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'conda-meta', 'history'), '==> 2024-01-01 00:00:00 <==\n');
  symlinkSync(python3(), join(prefix, 'bin', 'python'));
  return { root, env, prefix };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `medic-${prefix}-`));
}

export function pythonVersion(): string {
  return execFileSync(
    python3(),
    ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'],
    {
      encoding: 'utf8',
    },
  ).trim();
}

export interface ContractSpec {
  dir: string;
  kind?: 'systemd' | 'process';
  services: Record<string, unknown>[];
  policies?: Record<string, unknown>;
}

/** Writes a contract (scope user) with a fresh conda env; returns its path. */
export function writeContract(spec: ContractSpec): string {
  const conda = makeConda(spec.dir);
  const doc = {
    version: 1,
    supervisor: { kind: spec.kind ?? 'systemd', scope: 'user' },
    conda: { root: conda.root, env: conda.env, python: pythonVersion() },
    policies: spec.policies ?? {},
    services: spec.services,
  };
  const file = join(spec.dir, 'contract.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** A fast policy for tests: decisions within seconds. */
export const FAST_POLICY = {
  failureThreshold: 2,
  startupGraceSec: 2,
  cooldownSec: 1,
  maxRestarts: 3,
  windowSec: 120,
  backoff: { initialSec: 1, factor: 1, maxSec: 1 },
  stableSec: 60,
  circuit: { openSec: 600, maxOpenSec: 1200, hardStop: true },
};

/** Collects JSON log lines. */
export function logCapture(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { stream, lines };
}

/** `medic serve` in-process on port 0 with its own DB; env extras override. */
export async function serveInProcess(
  contract: string,
  dir: string,
  extra: Record<string, string> = {},
): Promise<RunningServe & { logs: Record<string, unknown>[] }> {
  const env = loadEnv({
    MEDIC_DB: join(dir, 'medic.db'),
    MEDIC_PORT: '0',
    LOG_LEVEL: 'debug',
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    PATH: process.env.PATH,
    MEDIC_POLL_INTERVAL_MS: '200',
    MEDIC_STATE_PROBE_INTERVAL_MS: '500',
    ...extra,
  });
  const { stream, lines } = logCapture();
  const server = await startServe({
    env,
    contractPath: contract,
    logger: createLogger('debug', stream),
  });
  return Object.assign(server, { logs: lines });
}

/** Every audit event of a service, oldest first. */
export function eventsOf(server: Pick<RunningServe, 'store'>, service: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  let after: number | undefined;
  for (;;) {
    const page = server.store.listEvents({ service, first: 500, ...(after ? { after } : {}) });
    out.push(...page.events);
    if (!page.hasMore || page.events.length === 0) return out;
    after = page.events[page.events.length - 1]!.id;
  }
}

/** Lines of a file (e.g. the starts a unit appended), 0 when missing. */
export function countLines(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/**
 * `node bin/medic.mjs ARGS` with env; stdout/stderr collected. The child leads its own process
 * group, so the services its process backend spawns are in it, and no service outlives its test:
 * `kill('SIGKILL')` kills the whole group (on a real host without systemd they would be left
 * running); a medic killed by a signal from elsewhere takes the rest of its group along once its
 * exit is seen; and children still running when the test file's process exits are killed with
 * their groups. A medic that exits on its own has stopped its services itself.
 */
export function medicChild(
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'medic.mjs'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid) {
    running.add(child);
    const kill = child.kill.bind(child);
    child.kill = (signal?: NodeJS.Signals | number) => {
      if (signal !== 'SIGKILL' || child.exitCode !== null || child.signalCode !== null) return kill(signal);
      killGroup(pid);
      return true;
    };
    child.on('exit', (_code, signal) => {
      running.delete(child);
      // The group's id cannot be reused while any process is still in the group.
      if (signal) killGroup(pid);
    });
  }
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  return Object.assign(child, { output: () => output });
}

/** medic children not yet seen to exit: killed with their groups when this process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.pid) killGroup(child.pid);
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left in the group.
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
