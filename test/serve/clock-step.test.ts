/**
 * A wall-clock step under a running `medic serve` (process backend, a real child process) must
 * neither delay recovery nor empty the restart window (issue 21). libfaketime moves only the
 * wall clock of medic (and of its children): `FAKETIME_TIMESTAMP_FILE` holds an offset from the
 * real time (`-3600` = one hour back; re-read on every call with `FAKETIME_NO_CACHE=1`), and
 * `FAKETIME_DONT_FAKE_MONOTONIC=1` leaves CLOCK_MONOTONIC alone — what an NTP step does.
 *
 * The service crashes one second after each start and writes its start time on CLOCK_MONOTONIC
 * (not stepped), so restart spacing is measured on a clock the step does not touch.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/systemd.js';
import { medicChild, sleep, tempDir, writeContract } from '../watchdog/helpers.js';

/** libfaketime's multi-threaded library, wherever the multiarch triplet puts it. */
function libfaketime(): string {
  for (const dir of readdirSync('/usr/lib')) {
    const lib = join('/usr/lib', dir, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error('libfaketime is not installed (Debian package `faketime`; .ci/run installs it)');
}

const COOLDOWN_SEC = 6;
const MAX_RESTARTS = 3;
const policy = {
  failureThreshold: 1,
  startupGraceSec: 3,
  cooldownSec: COOLDOWN_SEC,
  maxRestarts: MAX_RESTARTS,
  windowSec: 120,
  backoff: { initialSec: COOLDOWN_SEC, factor: 1, maxSec: COOLDOWN_SEC },
  stableSec: 60,
  circuit: { openSec: 600, maxOpenSec: 1200, hardStop: true },
};

/** Starts (CLOCK_MONOTONIC seconds) the service wrote, oldest first. */
function starts(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

async function runWithStep(step: '-3600' | '+3600') {
  const dir = tempDir('clockstep');
  const startsFile = join(dir, 'starts');
  const offsetFile = join(dir, 'faketime');
  writeFileSync(offsetFile, '+0\n');
  const crasher = [
    'import sys, time',
    `open(${JSON.stringify(startsFile)}, "a").write(f"{time.monotonic()}\\n")`,
    'time.sleep(1)',
    'sys.exit(3)',
  ].join('; ');
  const contract = writeContract({
    dir,
    kind: 'process',
    services: [{ name: 'crasher', unit: 'crasher.service', command: ['python', '-c', crasher], policy }],
  });
  const child = medicChild(['serve', '--contract', contract], {
    MEDIC_DB: join(dir, 'medic.db'),
    MEDIC_PORT: '0',
    LOG_LEVEL: 'info',
    MEDIC_STATE_PROBE_INTERVAL_MS: '300',
    MEDIC_DRIFT_INTERVAL_SEC: '3600',
    LD_PRELOAD: libfaketime(),
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    // The first automatic restart, then the crash of the restarted service puts it in cooldown.
    await waitFor(() => starts(startsFile).length >= 2, 30_000, 25);
    await waitFor(() => child.output().includes('"stateTo":"cooldown"'), 10_000, 10);
    writeFileSync(offsetFile, `${step}\n`);
    // Recovery continues on the monotonic clock: two more restarts, then the window is full.
    const next = await waitFor(() => starts(startsFile).length >= 3 || null, 20_000, 25).catch(() => {
      throw new Error(
        `no restart within 20 s after a ${step} s wall-clock step (cooldown ${COOLDOWN_SEC} s): ${starts(startsFile).length} starts`,
      );
    });
    expect(next).toBe(true);
    await waitFor(() => child.output().includes('"decision":"circuit_opened"'), 30_000, 25);
    await sleep(2 * COOLDOWN_SEC * 1000);
    const url = /medic serving on (http:\/\/\S+)"/.exec(child.output())?.[1];
    const readyz = url ? ((await (await fetch(`${url}/readyz`)).json()) as Record<string, unknown>) : null;
    const metrics = url ? await (await fetch(`${url}/metrics`)).text() : '';
    return { starts: starts(startsFile), output: child.output(), readyz, metrics };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- medic output ---\n${child.output().slice(-4000)}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Spacing between consecutive starts that medic caused (the first start is medic's launch). */
const gaps = (s: number[]) => s.slice(2).map((t, i) => t - s[i + 1]!);

describe('a wall-clock step under medic serve', () => {
  for (const step of ['-3600', '+3600'] as const) {
    it(`${step} s: restarts stay ${COOLDOWN_SEC} s apart and the window still caps them at ${MAX_RESTARTS}`, async () => {
      const run = await runWithStep(step);
      console.log(`STEP ${step} gaps`, gaps(run.starts).map((g) => g.toFixed(2)).join(" "));
      // The launch plus exactly maxRestarts restarts; then the circuit opened and held.
      expect(run.starts).toHaveLength(1 + MAX_RESTARTS);
      const decided = run.output.split('\n').filter((l) => l.includes('"kind":"restart_decided"'));
      expect(decided).toHaveLength(MAX_RESTARTS);
      // On time: never before the cooldown (spawn jitter ≤ 0.3 s), never much after it.
      for (const gap of gaps(run.starts)) {
        expect(gap).toBeGreaterThanOrEqual(COOLDOWN_SEC - 0.3);
        expect(gap).toBeLessThanOrEqual(COOLDOWN_SEC + 3);
      }
    });
  }
});
