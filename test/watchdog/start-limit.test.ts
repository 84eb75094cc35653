/**
 * systemd's own limits, named (issue 18, part 3), against real systemd: a unit whose
 * StartLimitBurst=2 (within 120 s) is smaller than what medic's policy allows. It crashes on
 * every start; medic restarts it once (start 2), and systemd refuses medic's next restart
 * (`start-limit-hit`). The decision names it, the circuit opens (retrying cannot help until
 * `systemctl reset-failed`), and the recommended action says so. `medic contract check` warned
 * about it beforehand (the limit and a Restart= faster than the cooldown), as warnings only.
 * After `systemctl reset-failed`, an approved probe restart starts the unit again.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Finding } from '../../src/drift/types.js';
import type { RunningServe } from '../../src/serve/serve.js';
import { cli } from '../contract/helpers.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import {
  countLines,
  eventsOf,
  FAST_POLICY,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from './helpers.js';

const POLICY = { ...FAST_POLICY, failureThreshold: 1, startupGraceSec: 1, maxRestarts: 5 };

describeSystemd("systemd's start limit against medic's policy", () => {
  const transport = transports()[0]!;
  const dir = tempDir('start-limit');
  const u = { limited: uniqueUnit('limited'), eager: uniqueUnit('eager') };
  const starts = join(dir, 'limited.starts');
  let contract = '';
  let server: RunningServe & { logs: Record<string, unknown>[] };

  beforeAll(async () => {
    await installUnit(
      u.limited,
      `[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=120\n[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts}; sleep 0.3; exit 3'\n`,
    );
    await installUnit(
      u.eager,
      `[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep 300\nRestart=on-failure\nRestartSec=200ms\n`,
    );
    contract = writeContract({
      dir,
      services: [
        { name: 'limited', unit: u.limited, command: ['python', '-c', 'pass'], policy: POLICY },
        { name: 'eager', unit: u.eager, command: ['python', '-c', 'pass'], policy: POLICY },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(Object.values(u).map((unit) => removeUnit(unit)));
  });

  it('warns in the contract check when StartLimitBurst or Restart= would fight the policy', async () => {
    const r = await cli(['contract', 'check', '--contract', contract, '--json', '--source', 'systemd']);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.field === 'StartLimitBurst' || f.field === 'Restart',
    );
    expect(findings).toEqual([
      expect.objectContaining({
        service: 'limited',
        field: 'StartLimitBurst',
        severity: 'warning',
        actual: expect.stringMatching(/StartLimitBurst=2 StartLimitIntervalSec=120s: systemd would refuse/),
        expected: expect.stringMatching(/allows 6 starts/),
      }),
      expect.objectContaining({
        service: 'eager',
        field: 'Restart',
        severity: 'warning',
        actual: expect.stringMatching(/Restart=on-failure RestartSec=0.2s/),
      }),
    ]);
  });

  it('names start-limit-hit in the decision, opens the circuit and recommends systemctl reset-failed', async () => {
    server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: transport.address });
    await systemctl('start', u.limited).catch(() => {});
    await waitFor(() => server.engine.view('limited')?.state.tag === 'circuit_open', 20_000, 50);
    const view = server.engine.view('limited')!;
    expect(view.state).toMatchObject({ tag: 'circuit_open', cause: 'start_limit_hit' });
    const opened = eventsOf(server, 'limited').find((e) => e.kind === 'circuit_opened')!;
    expect(opened.reason).toMatch(/systemd refused the start: start-limit-hit/);
    expect(opened.input).toMatchObject({ type: 'restart_failed', result: 'start-limit-hit' });
    expect(view.recommended).toMatchObject({
      code: 'reset_failed',
      command: `systemctl reset-failed ${u.limited}`,
    });
    expect(view.recommended.summary).toMatch(/StartLimitBurst/);
    // systemd refused the third start: the unit started twice (medic restarted it once).
    expect(countLines(starts)).toBe(2);
    expect(eventsOf(server, 'limited').filter((e) => e.decision === 'restart')).toHaveLength(2);

    // The operator's way out: reset-failed, then one approved probe restart starts it again.
    await systemctl('reset-failed', u.limited);
    await server.engine.submit('limited', { type: 'approve', actor: 'alice', reason: 'limit reset' });
    await waitFor(() => countLines(starts) === 3, 10_000, 50);
    await sleep(200);
    expect(countLines(starts)).toBe(3);
  });
});
