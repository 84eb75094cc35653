import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { jsonl, medic, tempFiles } from './io.js';

const at = (sec: number) => new Date(Date.UTC(2026, 0, 1) + sec * 1000).toISOString();
const line = (sec: number, service: string, type: string, extra: object = {}) => ({
  at: at(sec),
  service,
  type,
  ...extra,
});

/** Default policy; the api crashes until its circuit opens, while worker exits with EX_CONFIG. */
const storm = [
  line(0, 'api', 'probe_failed'),
  line(10, 'api', 'probe_failed'),
  line(20, 'api', 'probe_failed'),
  line(21, 'worker', 'exited', { code: 78 }),
  line(50, 'api', 'tick'),
  line(80, 'api', 'tick'),
  line(85, 'api', 'exited', { code: 1 }),
  line(140, 'api', 'tick'),
  line(145, 'api', 'exited', { code: 1 }),
  line(146, 'worker', 'approve', { actor: 'alice', reason: 'config fixed' }),
  line(150, 'api', 'probe_failed'),
];

function parseOut(stdout: string) {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('medic policy simulate', () => {
  it('prints one JSON line per input, each service with its own state', async () => {
    const dir = tempFiles({ 'p.yaml': '{}\n', 'in.jsonl': jsonl(storm) });
    const r = await medic(['policy', 'simulate', '--policy', 'p.yaml', '--input', 'in.jsonl'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parseOut(r.stdout);
    expect(out).toHaveLength(storm.length);
    expect(out.map((o) => `${o.service}:${o.decision}:${o.state}`)).toEqual([
      'api:failure_counted:healthy',
      'api:failure_counted:healthy',
      'api:restart:restarting',
      'worker:circuit_opened:circuit_open',
      'api:restart_failed:cooldown',
      'api:restart:restarting',
      'api:restart_failed:cooldown',
      'api:restart:restarting',
      'api:circuit_opened:circuit_open',
      'worker:restart_approved:restarting',
      // hardStop (default): the unit is stopped on purpose, its failed probe is no restart attempt
      'api:noop:circuit_open',
    ]);
    expect(out[8]).toEqual({
      at: at(145),
      service: 'api',
      input: { type: 'exited', code: 1 },
      decision: 'circuit_opened',
      state: 'circuit_open',
      restartsInWindow: 3,
      recommendedAction: {
        code: 'inspect_and_approve',
        summary: expect.stringContaining('inspect `journalctl -u api.service -n 200`'),
      },
    });
    expect(Object.keys(out[0])).toEqual([
      'at',
      'service',
      'input',
      'decision',
      'state',
      'restartsInWindow',
      'recommendedAction',
    ]);
  });

  it('reads stdin with --input - and adds detail and effects with --explain', async () => {
    const dir = tempFiles({ 'p.json': '{"failureThreshold": 1}' });
    const r = await medic(['policy', 'simulate', '--policy', 'p.json', '--input', '-', '--explain'], {
      cwd: dir,
      stdin: jsonl([line(0, 'api', 'probe_failed')]),
    });
    expect(r.code).toBe(0);
    const [o] = parseOut(r.stdout);
    expect(o.decision).toBe('restart');
    expect(o.effects).toEqual([{ type: 'restart', initiator: 'auto', probe: false }]);
    expect(o.detail).toEqual(expect.any(String));
  });

  it('rejects inputs out of time order, naming the line (exit 2)', async () => {
    const input = jsonl([line(10, 'api', 'tick'), line(10, 'db', 'tick'), line(5, 'api', 'tick')]);
    const dir = tempFiles({ 'p.yaml': '{}\n', 'in.jsonl': input });
    const r = await medic(['policy', 'simulate', '--policy', 'p.yaml', '--input', 'in.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in\.jsonl: line 3: at 2026-01-01T00:00:05\.000Z is before the previous input/);
    expect(parseOut(r.stdout)).toHaveLength(2);
  });

  it.each([
    ['not JSON', '{"at":', /line 2: not JSON/],
    ['an unknown type', JSON.stringify(line(1, 'api', 'explode')), /line 2: .*type/],
    ['a missing exit code', JSON.stringify(line(1, 'api', 'exited')), /line 2: code: /],
    ['a misspelt key', JSON.stringify(line(1, 'api', 'exited', { cod: 1 })), /line 2: .*cod/],
    [
      'a time without zone',
      JSON.stringify({ at: '2026-01-01T00:00:01', service: 'api', type: 'tick' }),
      /line 2: at/,
    ],
    [
      'a hold without ttlSec',
      JSON.stringify(line(1, 'api', 'hold', { actor: 'a', reason: 'b' })),
      /line 2: ttlSec/,
    ],
  ])('stops at a bad line (%s) with its line number instead of skipping it', async (_what, bad, message) => {
    const input = `${JSON.stringify(line(0, 'api', 'tick'))}\n${bad}\n${JSON.stringify(line(2, 'api', 'tick'))}\n`;
    const r = await medic(['policy', 'simulate', '--policy', 'p.yaml', '--input', '-'], {
      cwd: tempFiles({ 'p.yaml': '{}\n' }),
      stdin: input,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^stdin: line 2: /);
    expect(parseOut(r.stdout)).toHaveLength(1);
  });

  it("uses a contract's `default` policy, or the one named by --policy-name", async () => {
    const contract =
      'services:\n  - { name: api, unit: shop-api.service }\n' +
      'policies:\n  default: { failureThreshold: 3 }\n  eager: { failureThreshold: 1 }\n';
    const dir = tempFiles({ 'medic.yaml': contract, 'in.jsonl': jsonl([line(0, 'api', 'probe_failed')]) });
    const args = ['policy', 'simulate', '--policy', 'medic.yaml', '--input', 'in.jsonl'];
    const byDefault = await medic(args, { cwd: dir });
    expect(parseOut(byDefault.stdout)[0].decision).toBe('failure_counted');
    const eager = await medic([...args, '--policy-name', 'eager'], { cwd: dir });
    const [restart] = parseOut(eager.stdout);
    expect(restart.decision).toBe('restart');
    // The contract's unit name is used in the recommended command.
    expect(JSON.stringify(restart.recommendedAction)).toContain('journalctl -u shop-api.service -f');
    const missing = await medic([...args, '--policy-name', 'nope'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no policy named 'nope' (have: default, eager)");
  });

  it('requires --policy-name when a contract has several policies and none is `default`', async () => {
    const dir = tempFiles({ 'medic.yaml': 'policies:\n  a: {}\n  b: {}\n', 'in.jsonl': '' });
    const r = await medic(['policy', 'simulate', '--policy', 'medic.yaml', '--input', 'in.jsonl'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('choose one with --policy-name');
  });

  it('refuses an invalid policy before reading any input', async () => {
    const dir = tempFiles({ 'p.yaml': 'maxRestarts: 0\n' });
    const r = await medic(['policy', 'simulate', '--policy', 'p.yaml', '--input', 'missing.jsonl'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('maxRestarts: ');
  });

  it('reports an unreadable input file (exit 2)', async () => {
    const dir = tempFiles({ 'p.yaml': '{}\n' });
    const r = await medic(['policy', 'simulate', '--policy', 'p.yaml', '--input', 'missing.jsonl'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read missing.jsonl: ENOENT');
  });

  it('works as a real child process through bin/medic.mjs, reading stdin', async () => {
    const dir = tempFiles({ 'p.yaml': 'failureThreshold: 1\n' });
    const bin = join(process.cwd(), 'bin', 'medic.mjs');
    const child = execFile(
      process.execPath,
      [bin, 'policy', 'simulate', '--policy', 'p.yaml', '--input', '-'],
      {
        cwd: dir,
      },
    );
    const done = new Promise<{ code: number | null; stdout: string }>((resolveDone, reject) => {
      let stdout = '';
      child.stdout!.on('data', (c: string) => {
        stdout += c;
      });
      child.on('error', reject);
      child.on('close', (code) => resolveDone({ code, stdout }));
    });
    child.stdin!.end(jsonl([line(0, 'api', 'exited', { code: 78 }), line(1, 'api', 'approve')]));
    const { code, stdout } = await done;
    expect(code).toBe(0);
    expect(parseOut(stdout).map((o) => o.decision)).toEqual(['circuit_opened', 'restart_approved']);
    const check = await promisify(execFile)(process.execPath, [bin, 'policy', 'check', 'p.yaml'], {
      cwd: dir,
    });
    expect(check.stdout).toContain('valid policy');
  });
});
