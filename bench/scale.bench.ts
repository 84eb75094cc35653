/**
 * Start-up and idle cost of `medic serve` (a child process, run as installed: bin/medic.mjs)
 * watching N real user units — the scale units scripts/with-systemd.sh writes when
 * MEDIC_SYSTEMD_UNITS is set (npm run bench sets 2000), started before medic.
 *
 * For N in 1, 100, 500, 2000 (as many as there are scale units):
 * - time to ready: process start → `/readyz` 200 (detection armed, every unit read, the first
 *   drift check done and recorded), polled every 50 ms; baseline N = 1; and the CPU time the
 *   process used until then (less sensitive to other load on the machine than wall time);
 * - steady state: after ready, wait until the process's CPU over a 2 s window stays at or under
 *   1.5 % for three windows in a row (the start-up work has finished; bounded at 120 s) —
 *   reported as "settled" — then RSS and CPU over 20 s; baselines: N = 1 and a bare node process.
 * - with MEDIC_BENCH_IDLE_MIN=M (default 0: skipped), at 500 units RSS is sampled every 10 s for
 *   M minutes and the least-squares slope printed (MB/min).
 * - with MEDIC_BENCH_PROFILE=DIR each medic run writes a V8 CPU profile (.cpuprofile) into DIR;
 *   MEDIC_BENCH_SCALE_SIZES=500 runs one size only.
 *
 * Every unit drifts from the contract (a scale unit runs /bin/sleep, the contract python), so the
 * first check records one drift event per service: the worst case of a first start.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ensureDist } from './dist.js';
import { report } from './report.js';

const exec = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SIZES = [1, 100, 500, 2000];

function procStats(pid: number): { rssMb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMb: rssKb / 1024, cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

/** CPU % and final RSS of `pid` over `ms`. */
async function window(pid: number, ms: number) {
  const a = procStats(pid);
  await sleep(ms);
  const b = procStats(pid);
  return { rssMb: b.rssMb, cpuPct: ((b.cpuTicks - a.cpuTicks) / 100 / (ms / 1000)) * 100 };
}

/**
 * Polls until the start-up work has finished: three 2-s windows in a row under 1.5 % CPU (at most
 * 3 ticks of 10 ms each; a looser "two 1-s windows under 3 %" let the idle window begin while
 * the drift log and V8's lazy compilation were still running). Returns the ms it took (≤ 120 s).
 */
async function settle(pid: number): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  while (quiet < 3 && performance.now() - t0 < 120_000) {
    quiet = (await window(pid, 2000)).cpuPct <= 1.5 ? quiet + 1 : 0;
  }
  return performance.now() - t0;
}

function contractFor(dir: string, units: string[]): string {
  const out = execFileSyncText('python3', [
    '-c',
    'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])',
  ]);
  const [exe, version] = out.split('\n');
  const prefix = join(dir, 'conda', 'envs', 'bench');
  mkdirSync(join(prefix, 'conda-meta'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'conda-meta', 'history'), '');
  symlinkSync(exe!, join(prefix, 'bin', 'python'));
  const file = join(dir, 'contract.yaml');
  const services = units.map((unit, i) => ({ name: `s${i}`, unit, command: ['python', '-c', 'pass'] }));
  writeFileSync(
    file,
    stringify({
      version: 1,
      supervisor: { kind: 'systemd', scope: 'user' },
      conda: { root: join(dir, 'conda'), env: 'bench', python: version },
      services,
    }),
  );
  return file;
}

function execFileSyncText(cmd: string, args: string[]): string {
  return String(execFileSync(cmd, args)).trim();
}

interface Medic {
  child: ChildProcess;
  url: string;
  /** Resolves when the process exits (with its code); set up at spawn, so no exit is missed. */
  exited: Promise<number | null>;
  /** The last log lines (shown when medic fails). */
  tail: string[];
}

/** `medic serve` as installed; resolves once it logged its URL. */
async function startMedic(contract: string, dir: string): Promise<Medic> {
  const bin = join(root, 'bin', 'medic.mjs');
  const profile = process.env.MEDIC_BENCH_PROFILE;
  // A V8 CPU profile (start-up through idle) needs node's own flag: not allowed in NODE_OPTIONS.
  const [command, args] = profile
    ? [process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profile}`, '--expose-gc', bin]]
    : [bin, []];
  const child = spawn(command, [...args, 'serve', '--contract', contract], {
    env: {
      ...process.env,
      MEDIC_DB: join(dir, 'medic.db'),
      MEDIC_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const tail: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  // Keeps draining the log (a full pipe would block medic).
  lines.on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  const url = await Promise.race([
    new Promise<string>((resolveUrl) => {
      lines.on('line', (line) => {
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m && line.includes('medic serving on')) resolveUrl(m[1]!);
      });
    }),
    exited.then((code) => {
      throw new Error(`medic serve exited ${code} before listening:\n${tail.join('\n')}`);
    }),
  ]);
  return { child, url, exited, tail };
}

async function untilReady(medic: Medic, deadlineMs = 300_000): Promise<void> {
  const t0 = performance.now();
  let gone: number | null | undefined;
  medic.exited.then((code) => {
    gone = code;
  });
  for (;;) {
    if (gone !== undefined) throw new Error(`medic serve exited ${gone}:\n${medic.tail.join('\n')}`);
    const r = await fetch(`${medic.url}/readyz`).catch(() => null);
    if (r?.status === 200) return;
    await r?.body?.cancel();
    if (performance.now() - t0 > deadlineMs) throw new Error('medic did not become ready');
    // 50 ms: each probe costs medic ~0.5 ms of CPU, which the polling itself would add to it.
    await sleep(50);
  }
}

const chunks = <T>(xs: T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

interface Run {
  n: number;
  readyMs: number;
  readyCpuMs: number;
  settleMs: number;
  rssMb: number;
  cpuPct: number;
  slope?: { mbPerMin: number; minutes: number; first: number; last: number };
}

async function measure(units: string[], idleMinutes: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-bench-scale-'));
  const contract = contractFor(dir, units);
  const t0 = performance.now();
  const medic = await startMedic(contract, dir);
  const { child } = medic;
  try {
    await untilReady(medic);
    const readyMs = performance.now() - t0;
    // CPU the process used until ready: what a quiet machine's wall time would be, roughly.
    const readyCpuMs = procStats(child.pid!).cpuTicks * 10;
    const settleMs = await settle(child.pid!);
    const idle = await window(child.pid!, 20_000);
    const run: Run = { n: units.length, readyMs, readyCpuMs, settleMs, ...idle };
    if (idleMinutes > 0) {
      const samples: [number, number][] = [];
      const start = performance.now();
      while (performance.now() - start < idleMinutes * 60_000) {
        samples.push([(performance.now() - start) / 60_000, procStats(child.pid!).rssMb]);
        await sleep(10_000);
      }
      const mx = samples.reduce((s, [x]) => s + x, 0) / samples.length;
      const my = samples.reduce((s, [, y]) => s + y, 0) / samples.length;
      const num = samples.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
      const den = samples.reduce((s, [x]) => s + (x - mx) ** 2, 0);
      run.slope = {
        mbPerMin: num / den,
        minutes: idleMinutes,
        first: samples[0]![1],
        last: samples.at(-1)![1],
      };
    }
    return run;
  } finally {
    child.kill('SIGTERM');
    await medic.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const available = Number(process.env.MEDIC_SCALE_UNITS ?? 0);
  const prefix = process.env.MEDIC_SCALE_PREFIX ?? 'medic-scale-';
  if (process.env.MEDIC_TEST_SYSTEMD !== '1' || available < 1) {
    console.log(
      'scale: skipped (needs scripts/with-systemd.sh with MEDIC_SYSTEMD_UNITS; npm run bench sets it)',
    );
    return;
  }
  console.log(`  bin mode: ${ensureDist()}`);
  const only = process.env.MEDIC_BENCH_SCALE_SIZES?.split(',').map(Number);
  const sizes = (only ?? SIZES).filter((n) => n <= available);
  const idleMinutes = Number(process.env.MEDIC_BENCH_IDLE_MIN ?? 0);
  const all = Array.from({ length: Math.max(...sizes) }, (_, i) => `${prefix}${i}.service`);
  for (const c of chunks(all, 250)) await exec('systemctl', ['--user', 'start', ...c]);
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const runs: Run[] = [];
  try {
    for (const n of sizes) runs.push(await measure(all.slice(0, n), n === 500 ? idleMinutes : 0));
    const node = await window(bare.pid!, 20_000);
    const one = runs.find((r) => r.n === 1) ?? runs[0]!;
    for (const r of runs) {
      report({
        bench: 'scale',
        metric: `time to ready, ${r.n} unit(s)`,
        value: r.readyMs,
        unit: 'ms',
        baseline: { name: `${one.n} unit`, value: one.readyMs },
        goal: r.n === 500 ? '≤ 5000 ms' : undefined,
      });
    }
    for (const r of runs) {
      report({
        bench: 'scale',
        metric: `CPU time until ready, ${r.n} unit(s)`,
        value: r.readyCpuMs,
        unit: 'ms',
        baseline: { name: `${one.n} unit`, value: one.readyCpuMs },
      });
    }
    for (const r of runs) {
      report({
        bench: 'scale',
        metric: `settled after ready, ${r.n} unit(s)`,
        value: r.settleMs,
        unit: 'ms',
      });
    }
    for (const r of runs) {
      report({
        bench: 'scale',
        metric: `RSS after start-up, ${r.n} unit(s)`,
        value: r.rssMb,
        unit: 'MB',
        baseline: { name: 'bare node', value: node.rssMb },
        goal: r.n === 500 ? '≤ 120 MB' : r.n === 2000 ? '≤ 200 MB' : undefined,
      });
    }
    for (const r of runs) {
      report({
        bench: 'scale',
        metric: `CPU idle 20 s, ${r.n} unit(s)`,
        value: r.cpuPct,
        unit: '%',
        baseline: { name: 'bare node', value: Math.max(node.cpuPct, 0.01) },
      });
    }
    for (const r of runs) {
      if (!r.slope) continue;
      report({
        bench: 'scale',
        metric: `RSS slope over ${r.slope.minutes} min idle, ${r.n} units`,
        value: r.slope.mbPerMin,
        unit: 'MB/min',
        goal: `≈ 0 (first ${r.slope.first.toFixed(1)} MB, last ${r.slope.last.toFixed(1)} MB)`,
      });
    }
  } finally {
    bare.kill('SIGTERM');
    for (const c of chunks(all, 250)) await exec('systemctl', ['--user', 'stop', ...c]).catch(() => {});
  }
}
