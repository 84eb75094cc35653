/**
 * `medic serve` as a real child process: single instance per database, graceful SIGTERM,
 * SIGKILL in the middle of a restart storm (promise 4), and the polling fallback.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { openStore } from '../../src/store/sqlite.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import {
  countLines,
  eventsOf,
  FAST_POLICY,
  medicChild,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from '../watchdog/helpers.js';

const exited = (child: { exitCode: number | null; once: (e: 'exit', f: () => void) => void }) =>
  child.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', r));

function childEnv(dir: string): Record<string, string> {
  return {
    MEDIC_DB: join(dir, 'medic.db'),
    MEDIC_PORT: '0',
    LOG_LEVEL: 'info',
    MEDIC_STATE_PROBE_INTERVAL_MS: '300',
    MEDIC_DRIFT_INTERVAL_SEC: '3600',
  };
}

function storedEvents(db: string, service: string): AuditEvent[] {
  const store = openStore(db);
  try {
    return eventsOf({ store }, service);
  } finally {
    store.close();
  }
}

describeSystemd('medic serve as a process', () => {
  describe('single instance and graceful shutdown', () => {
    const dir = tempDir('serve');
    const unit = uniqueUnit('idle');
    let contract: string;
    beforeAll(async () => {
      await installUnit(unit, '[Service]\nExecStart=/bin/sleep 300\n');
      contract = writeContract({
        dir,
        services: [{ name: 'idle', unit, command: ['python', '-c', 'pass'] }],
      });
    });
    afterAll(() => removeUnit(unit));

    it('refuses a second serve on the same database with exit 2, and stops cleanly on SIGTERM', async () => {
      const first = medicChild(['serve', '--contract', contract], childEnv(dir));
      await waitFor(() => first.output().includes('watching 1 service'), 20_000, 50);
      const second = medicChild(['serve', '--contract', contract], childEnv(dir));
      await exited(second);
      expect(second.exitCode).toBe(2);
      expect(second.output()).toMatch(/another medic is already serving .*medic\.db: pid \d+/);
      first.kill('SIGTERM');
      await exited(first);
      expect(first.exitCode).toBe(0);
      expect(first.output()).toContain('medic stopped');
    });

    it('exits 2 with every problem when the contract is invalid', async () => {
      const bad = join(dir, 'bad.yaml');
      await import('node:fs/promises').then((fs) => fs.writeFile(bad, 'version: 2\nservices: []\n'));
      const child = medicChild(['serve', '--contract', bad], childEnv(dir));
      await exited(child);
      expect(child.exitCode).toBe(2);
      expect(child.output()).toMatch(/version/);
    });
  });

  describe('medic killed with SIGKILL in the middle of a restart storm', () => {
    const dir = tempDir('sigkill');
    const unit = uniqueUnit('sigkill');
    const starts = join(dir, 'starts');
    const policy = {
      ...FAST_POLICY,
      failureThreshold: 1,
      cooldownSec: 1.5,
      backoff: { initialSec: 1.5, factor: 1, maxSec: 1.5 },
    };
    let contract: string;
    beforeAll(async () => {
      await installUnit(unit, `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts}; sleep 0.4; exit 3'\n`);
      contract = writeContract({
        dir,
        services: [{ name: 'storm', unit, command: ['python', '-c', 'pass'], policy }],
      });
    });
    afterAll(() => removeUnit(unit));

    it('adds no restart beyond the policy and keeps counters, circuit and audit log intact', async () => {
      const a = medicChild(['serve', '--contract', contract], childEnv(dir));
      await waitFor(() => a.output().includes('watching 1 service'), 20_000, 50);
      await systemctl('start', unit);
      await waitFor(() => countLines(starts) >= 3, 20_000, 10); // two restarts by medic so far
      a.kill('SIGKILL');
      await exited(a);
      const before = storedEvents(join(dir, 'medic.db'), 'storm');
      await sleep(800);

      const b = medicChild(['serve', '--contract', contract], childEnv(dir));
      await waitFor(() => b.output().includes('"kind":"circuit_opened"'), 30_000, 50);
      await sleep(1000);
      b.kill('SIGTERM');
      await exited(b);
      expect(b.exitCode).toBe(0);

      const after = storedEvents(join(dir, 'medic.db'), 'storm');
      // The log is append-only: everything from before the kill is still there, unchanged.
      expect(after.slice(0, before.length)).toEqual(before);
      const decided = after.filter((e) => e.kind === 'restart_decided');
      expect(decided).toHaveLength(policy.maxRestarts);
      expect(after.filter((e) => e.kind === 'circuit_opened')).toHaveLength(1);
      // Every start after the first one is one of medic's decided restarts: none repeated.
      expect(countLines(starts)).toBe(1 + policy.maxRestarts);
      const ids = after.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const last = after.filter((e) => e.counters).at(-1)!;
      expect(last.counters).toMatchObject({ totalRestarts: policy.maxRestarts, circuitOpens: 1 });
      expect(last.stateTo).toBe('circuit_open');
    });
  });

  describe('D-Bus unavailable', () => {
    const dir = tempDir('polling');
    const unit = uniqueUnit('polled');
    const starts = join(dir, 'starts');
    let server: Awaited<ReturnType<typeof serveInProcess>>;
    beforeAll(async () => {
      await installUnit(unit, `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts}; sleep 0.5; exit 3'\n`);
      const contract = writeContract({
        dir,
        services: [{ name: 'polled', unit, command: ['python', '-c', 'pass'], policy: FAST_POLICY }],
      });
      server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: 'unix:path=/nonexistent/bus' });
    });
    afterAll(async () => {
      await server?.close();
      await removeUnit(unit);
    });

    it('falls back to polling, says so in /readyz, and still detects the crash', async () => {
      const res = await fetch(`${server.url}/readyz`);
      const body = (await res.json()) as { ready: boolean; reasons: string[]; detection: string };
      expect(res.status).toBe(200);
      expect(body.detection).toBe('polling');
      expect(body.reasons.join(' ')).toMatch(/D-Bus unavailable .*polling systemctl show every 200 ms/);
      expect(server.logs.some((l) => String(l.msg).includes('detection: D-Bus unavailable'))).toBe(true);
      await systemctl('start', unit);
      await waitFor(() => eventsOf(server, 'polled').some((e) => e.input?.type === 'exited'), 10_000, 50);
      const crash = eventsOf(server, 'polled').find((e) => e.input?.type === 'exited')!;
      expect(crash.input).toEqual({ type: 'exited', code: 3 });
      expect(crash.kind).toBe('restart_decided');
      await waitFor(() => countLines(starts) >= 2, 10_000, 50);
    });
  });
});
