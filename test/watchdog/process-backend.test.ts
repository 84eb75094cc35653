import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContractService } from '../../src/contract/types.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { ProcessBackend } from '../../src/executors/process.js';
import type { Observation } from '../../src/watchdog/unit-status.js';
import { waitFor } from '../helpers/systemd.js';
import { python3, sleep, tempDir } from './helpers.js';

function service(dir: string, script: string): ContractService {
  const file = join(dir, 'svc.py');
  writeFileSync(file, script);
  return {
    name: 'svc',
    unit: 'svc.service',
    command: ['python', file],
    argv: [python3(), file],
    workingDirectory: dir,
    environment: { GREETING: 'hi' },
    policyName: null,
    policy: DEFAULT_POLICY,
  };
}

describe('the process backend', () => {
  it('runs the command with the contract environment and reports an unexpected exit', async () => {
    const dir = tempDir('proc');
    const seen: Observation[] = [];
    const lines: string[] = [];
    const svc = service(
      dir,
      'import os, time\nprint(os.environ["GREETING"], os.environ["CONDA_PREFIX"], os.getcwd(), flush=True)\ntime.sleep(0.3)\nraise SystemExit(3)\n',
    );
    const backend = new ProcessBackend({
      services: [svc],
      baseEnv: { PATH: '/usr/bin:/bin', CONDA_PREFIX: '/opt/conda/envs/x' },
      sink: { observation: (_u, o) => seen.push(o) },
      output: (_s, line) => lines.push(line),
    });
    await backend.start([svc.unit]);
    expect(backend.status(svc.unit)?.activeState).toBe('active');
    await waitFor(() => seen.length > 0, 5000);
    expect(seen[0]?.input).toEqual({ type: 'exited', code: 3 });
    expect(lines[0]).toBe(`hi /opt/conda/envs/x ${dir}`);
    expect(backend.status(svc.unit)?.activeState).toBe('failed');
    await backend.stop();
  });

  it('restarts (SIGTERM, then SIGKILL after the grace) without reporting the exit it caused', async () => {
    const dir = tempDir('proc');
    const seen: Observation[] = [];
    const svc = service(
      dir,
      'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n',
    );
    const backend = new ProcessBackend({
      services: [svc],
      baseEnv: { PATH: '/usr/bin:/bin' },
      sink: { observation: (_u, o) => seen.push(o) },
      killGraceMs: 200,
    });
    await backend.start([svc.unit]);
    const first = backend.status(svc.unit)?.invocationId;
    await sleep(200);
    const cfg = { name: svc.name, unit: svc.unit, policy: DEFAULT_POLICY };
    expect(await backend.execute(cfg, { type: 'restart', initiator: 'auto', probe: false })).toEqual({
      ok: true,
    });
    expect(backend.status(svc.unit)?.invocationId).not.toBe(first);
    expect(await backend.execute(cfg, { type: 'stop', reason: 'hard_stop' })).toEqual({ ok: true });
    expect(backend.status(svc.unit)?.activeState).not.toBe('active');
    await sleep(100);
    expect(seen).toEqual([]);
    await backend.stop();
  });

  it('reports a command that cannot start as a failed restart', async () => {
    const svc = { ...service(tempDir('proc'), ''), argv: ['/nonexistent/python'] };
    const backend = new ProcessBackend({ services: [svc], baseEnv: {}, sink: { observation: () => {} } });
    const r = await backend.execute(
      { name: 'svc', unit: svc.unit, policy: DEFAULT_POLICY },
      { type: 'restart', initiator: 'auto', probe: false },
    );
    expect(r.ok).toBe(false);
  });
});
