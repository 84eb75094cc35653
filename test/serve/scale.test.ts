/**
 * `medic serve` watching 500 real user units (the scale units scripts/with-systemd.sh writes when
 * MEDIC_SYSTEMD_UNITS is set; `npm test` sets 500). Behaviour only — how fast is
 * bench/scale.bench.ts's business, never asserted here.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Finding } from '../../src/drift/check.js';
import { describeSystemd, systemctl, waitFor } from '../helpers/systemd.js';
import { serveInProcess, tempDir, writeContract } from '../watchdog/helpers.js';

const N = 500;
const available = Number(process.env.MEDIC_SCALE_UNITS ?? 0);
const prefix = process.env.MEDIC_SCALE_PREFIX ?? 'medic-scale-';
const units = Array.from({ length: N }, (_, i) => `${prefix}${i}.service`);
const chunks = <T>(xs: T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

describeSystemd(`medic serve with ${N} real units`, () => {
  const dir = tempDir('scale');
  let contract: string;
  beforeAll(async () => {
    if (available < N) {
      throw new Error(`needs MEDIC_SYSTEMD_UNITS >= ${N} for scripts/with-systemd.sh (npm test sets it)`);
    }
    for (const c of chunks(units, 250)) await systemctl('start', ...c);
    contract = writeContract({
      dir,
      services: units.map((unit, i) => ({ name: `s${i}`, unit, command: ['python', '-c', 'pass'] })),
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of chunks(units, 250)) await systemctl('stop', ...c).catch(() => {});
  }, 120_000);

  it('is ready once every unit is read and the first drift check is recorded: one small event per service, one summary line; a restart records nothing again', async () => {
    const env = { MEDIC_STATE_PROBE_INTERVAL_MS: '600000', MEDIC_DRIFT_INTERVAL_SEC: '3600' };
    const first = await serveInProcess(contract, dir, env);
    try {
      await waitFor(() => first.readiness().ready, 120_000, 50);
      expect(first.readiness()).toMatchObject({ ready: true, detection: 'dbus' });
      // Ready means the first drift check is done: its findings are there for every service.
      const report = first.drift.lastDrift()!;
      expect(new Set(report.findings.map((f) => f.service)).size).toBe(N);
      for (const unit of units) expect(first.watchdog.monitor()!.status(unit)?.activeState).toBe('active');
      const drift = first.store.listEvents({ kinds: ['drift_detected'], first: 500 });
      expect(drift.events).toHaveLength(N);
      expect(drift.hasMore).toBe(false);
      for (const e of drift.events) {
        expect(new Set((e.data!.current as Finding[]).map((f) => f.service))).toEqual(new Set([e.service]));
      }
      const summaries = first.logs.filter((l) => String(l.msg).startsWith('contract drift changed'));
      expect(summaries).toHaveLength(1);
      expect(first.logs.filter((l) => l.msg === 'contract drift_detected')).toHaveLength(N);
    } finally {
      await first.close();
    }
    const again = await serveInProcess(contract, dir, env);
    try {
      await waitFor(() => again.readiness().ready, 120_000, 50);
      expect(again.store.listEvents({ kinds: ['drift_detected'], first: 500 }).events).toHaveLength(N);
      expect(again.logs.filter((l) => String(l.msg).startsWith('contract drift'))).toEqual([]);
    } finally {
      await again.close();
    }
  }, 300_000);
});
