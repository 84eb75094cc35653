import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { shadowReport } from '../../src/rollout/shadow.js';
import { activateNewVersion } from '../../src/rollout/versions.js';
import { syncEngine } from '../../src/rollout/watch.js';
import { tempDir } from '../store/helpers.js';
import { crashLoop, play, policy, rig } from './helpers.js';

describe('shadow report', () => {
  it('compares the shadow policy with the enforcing one over the recorded inputs, and checks the record', async () => {
    const db = join(tempDir(), 'medic.db');
    const r = await rig([{ name: 'api', unit: 'api.service', policy: policy() }], {
      path: db,
      clock: new SimulatedClock(Date.now() - 3 * 3_600_000),
    });
    const by = { author: 't', reason: 'r', now: r.clock.now() };
    activateNewVersion(r.store, { policies: { default: policy() }, services: { api: 'default' } }, by);
    await play(r, 'api', crashLoop(5, 120_000));
    // Version 2 runs a looser policy in shadow mode: decisions recorded, nothing executed.
    const shadow = policy({
      mode: 'shadow',
      maxRestarts: 10,
      windowSec: 900,
      cooldownSec: 10,
      backoff: { initialSec: 10, maxSec: 30 },
    });
    const v2 = { policies: { default: shadow }, services: { api: 'default' } };
    activateNewVersion(r.store, v2, by);
    syncEngine(v2, r.engine);
    const executed = r.executor.calls.length;
    await play(r, 'api', crashLoop(20, 120_000));
    expect(r.executor.calls.length).toBe(executed);

    const report = shadowReport(r.store, 'api', { days: 1, now: Date.now() });
    expect(report.shadow.source).toBe('active version 2');
    expect(report.enforced.source).toBe('version 1');
    expect(report.recorded.enforceMode).toBeGreaterThan(0);
    expect(report.recorded.shadowMode).toBeGreaterThan(0);
    expect(report.recorded.restartsExecuted).toBe(
      r.executor.calls.filter((c) => c.effect.type === 'restart').length,
    );
    // Re-run with the versions as applied, replay reproduces every recorded decision.
    expect(report.recorded.checked).toBe(report.recorded.decisions);
    expect(report.recorded.reproduced).toBe(report.recorded.checked);
    // The enforcing policy opens the circuit on this crash loop; the shadow one restarts instead.
    expect(report.comparison.active.circuitsOpened).toBeGreaterThan(0);
    expect(report.comparison.candidate.circuitsOpened).toBe(0);
    expect(report.comparison.restartsAdded).toBeGreaterThan(0);

    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const code = await main(['policy', 'report', '--service', 'api', '--days', '1', '--db', db], {
      stdout: out,
      stderr: new PassThrough(),
      env: {},
      cwd: '/',
    });
    expect(code).toBe(0);
    expect(text).toContain('shadow:   active version 2');
    expect(text).toMatch(/reproduces (\d+) of \1 recorded decisions/);
  });

  it('says so when no version ever ran the service in shadow mode', async () => {
    const r = await rig();
    activateNewVersion(
      r.store,
      { policies: { default: policy() }, services: { api: 'default' } },
      { author: 't', reason: 'r', now: 0 },
    );
    expect(() => shadowReport(r.store, 'api', { days: 1, now: Date.now() })).toThrow(/shadow mode/);
  });
});
