/**
 * A wall-clock step under a running `medic serve` (process backend, a real child process) must
 * neither delay recovery nor empty the restart window (issue 21). libfaketime moves only the
 * wall clock of medic (and of its children): `FAKETIME_TIMESTAMP_FILE` holds an offset from the
 * real time (`-3600` = one hour back; re-read on every call with `FAKETIME_NO_CACHE=1`), and
 * `FAKETIME_DONT_FAKE_MONOTONIC=1` leaves CLOCK_MONOTONIC alone — what an NTP step does.
 *
 * The service crashes one second after each start. Restart spacing is measured exactly on
 * medic's own audit events: their times are wall times, and the step (written between the first
 * and the second restart) is known, so `wall gap − step` is the real gap.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClockDetails } from '../../src/core/readiness.js';
import { openStore } from '../../src/store/sqlite.js';
import { waitFor } from '../helpers/systemd.js';
import { eventsOf, medicChild, sleep, tempDir, writeContract } from '../watchdog/helpers.js';

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

async function runWithStep(step: number) {
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
    writeFileSync(offsetFile, `${step > 0 ? '+' : ''}${step}\n`);
    // Recovery continues on the monotonic clock: two more restarts, then the window is full.
    const next = await waitFor(() => starts(startsFile).length >= 3 || null, 20_000, 25).catch(() => {
      throw new Error(
        `no restart within 20 s after a ${step} s wall-clock step (cooldown ${COOLDOWN_SEC} s): ${starts(startsFile).length} starts`,
      );
    });
    expect(next).toBe(true);
    await waitFor(() => child.output().includes('"decision":"circuit_opened"'), 30_000, 25);
    // Long enough for one more restart, were the window not capping them (a cooldown + 2 s).
    await sleep((COOLDOWN_SEC + 2) * 1000);
    const url = /medic serving on (http:\/\/[^\s"]+)/.exec(child.output())?.[1];
    if (!url) throw new Error('medic did not say where it serves');
    const readyz = (await (await fetch(`${url}/readyz`)).json()) as { clock: ClockDetails | null };
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return { starts: starts(startsFile), output: child.output(), readyz, metrics, db: join(dir, 'medic.db') };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- medic output ---\n${child.output().slice(-4000)}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Times (wall ms) of medic's restart decisions, from its audit log. */
function restartTimes(db: string): number[] {
  const store = openStore(db);
  try {
    return eventsOf({ store }, 'crasher')
      .filter((e) => e.kind === 'restart_decided')
      .map((e) => e.at);
  } finally {
    store.close();
  }
}

describe('a wall-clock step under medic serve', () => {
  for (const hours of [-1, 1]) {
    const step = hours * 3600;
    it(`${hours > 0 ? '+' : ''}${hours} h: restarts stay ${COOLDOWN_SEC} s apart and the window still caps them at ${MAX_RESTARTS}`, async () => {
      const run = await runWithStep(step);
      // The launch plus exactly maxRestarts restarts; then the circuit opened and held.
      expect(run.starts).toHaveLength(1 + MAX_RESTARTS);
      const at = restartTimes(run.db);
      expect(at).toHaveLength(MAX_RESTARTS);
      // Real spacing: the step happened between the first and the second restart.
      const gaps = [at[1]! - at[0]! - step * 1000, at[2]! - at[1]!];
      // On time: never before the cooldown, and no later than a probe round or two after it.
      // (±2 ms: wall and monotonic are two readings in whole ms, and libfaketime applies the
      // offset to a wall clock read a moment apart.)
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(COOLDOWN_SEC * 1000 - 2);
        expect(gap).toBeLessThanOrEqual(COOLDOWN_SEC * 1000 + 1500);
      }
      // Noticed once: one log line, the counter, and /readyz.
      expect(run.output.match(/wall clock stepped/g)).toHaveLength(1);
      expect(run.metrics).toMatch(/^medic_clock_steps_total 1$/m);
      expect(run.readyz.clock?.steps).toBe(1);
      expect(Math.abs(run.readyz.clock!.lastStep!.byMs - step * 1000)).toBeLessThan(1000);
      expect(run.readyz.clock!.lastStep!.whileDown).toBe(false);
    });
  }
});
