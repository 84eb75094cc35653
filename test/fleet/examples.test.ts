/**
 * examples/systemd (the hub's unit and the agent's drop-in + environment files): every variable
 * they set is one medic reads and the values pass its config validation; the units run `medic
 * hub` and load the environment file they document; `systemd-analyze verify` accepts the hub unit
 * when available.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema, loadEnv } from '../../src/config/env.js';

const envFile = (path: string) =>
  Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('examples/systemd', () => {
  it('sets only variables medic reads, with values it accepts', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const file of ['examples/systemd/medic-hub.env', 'examples/systemd/medic-agent.env']) {
      const vars = envFile(file);
      expect(Object.keys(vars).length).toBeGreaterThan(2);
      for (const key of Object.keys(vars)) expect(known, `${file}: ${key}`).toContain(key);
      expect(() => loadEnv(vars)).not.toThrow();
    }
  });

  it('runs medic hub with the documented environment file; the agent drop-in loads its file', () => {
    const hub = readFileSync('examples/systemd/medic-hub.service', 'utf8');
    expect(hub).toMatch(/^ExecStart=\/usr\/bin\/env medic hub$/m);
    expect(hub).toMatch(/^EnvironmentFile=\/etc\/medic\/hub\.env$/m);
    expect(readFileSync('examples/systemd/medic-agent.conf', 'utf8')).toMatch(
      /^EnvironmentFile=\/etc\/medic\/agent\.env$/m,
    );
  });

  it('passes systemd-analyze verify (when systemd is installed)', async (ctx) => {
    const result = await new Promise<{ code: number; out: string }>((done) =>
      execFile(
        'systemd-analyze',
        ['verify', '--man=no', 'examples/systemd/medic-hub.service'],
        (err, stdout, stderr) =>
          done({
            code: err ? (typeof err.code === 'number' ? err.code : 127) : 0,
            out: `${stdout}${stderr}`,
          }),
      ),
    );
    if (result.code === 127) return ctx.skip('systemd-analyze not installed');
    // The unit's user and the medic binary need not exist on the test machine; syntax must be clean.
    const problems = result.out
      .split('\n')
      .filter(
        (l) =>
          l.trim() &&
          !/Command .*medic.* is not executable|User=|No such file|env: .medic.|Failed to resolve user/.test(
            l,
          ),
      );
    expect(problems).toEqual([]);
  });
});
