import { describe, expect, it } from 'vitest';
import { medic, tempFiles } from './io.js';

const contract = `
conda: { root: /opt/conda }
policies:
  default: { maxRestarts: 3, windowSec: 600 }
  tight:
    maxRestarts: 5
    windowSec: 60
    backoff: { initialSec: 30, maxSec: 10, intialSec: 1 }
services:
  - name: api
    policy: { cooldownSec: -1 }
`;

describe('medic policy check', () => {
  it('accepts a valid YAML policy with a summary and exit 0', async () => {
    const dir = tempFiles({ 'p.yaml': 'maxRestarts: 4\nwindowSec: 900\n' });
    const r = await medic(['policy', 'check', 'p.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('p.yaml: valid policy');
    expect(r.stdout).toContain('at most 4 restarts per 900s');
    expect(r.stderr).toBe('');
  });

  it('accepts a JSON policy and applies the defaults', async () => {
    const dir = tempFiles({ 'p.json': '{"failureThreshold": 2}' });
    const r = await medic(['policy', 'check', 'p.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('restart after 2 failed probe(s)');
    expect(r.stdout).toContain('at most 3 restarts per 600s');
  });

  it('rejects a policy whose circuit could never open, naming the path and the reason', async () => {
    const dir = tempFiles({ 'p.yaml': 'maxRestarts: 5\nwindowSec: 120\n' });
    const r = await medic(['policy', 'check', 'p.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^windowSec: the circuit can never open: 6 restarts .* windowSec is 120s/m);
    expect(r.stdout).toBe('');
  });

  it("reports every problem of a contract's policies at once, each with its path", async () => {
    const dir = tempFiles({ 'medic.yaml': contract });
    const r = await medic(['policy', 'check', 'medic.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n').slice(1);
    expect(lines).toEqual(
      expect.arrayContaining([
        'policies.tight.backoff.intialSec: unknown key',
        'policies.tight.backoff.maxSec: backoff.maxSec (10) is below backoff.initialSec (30)',
        expect.stringMatching(/^policies\.tight\.windowSec: the circuit can never open/),
        expect.stringMatching(/^services\.0\.policy\.cooldownSec: /),
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it("accepts a valid contract's policies and lists them", async () => {
    const dir = tempFiles({
      'medic.yaml': 'services: []\npolicies:\n  default: {}\n  batch: { maxRestarts: 1 }\n',
    });
    const r = await medic(['policy', 'check', 'medic.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid contract policies \(2 named\)/);
    expect(r.stdout).toMatch(/^ {2}batch: .*at most 1 restarts/m);
  });

  it('reports bad YAML and missing files as invalid (exit 2)', async () => {
    const dir = tempFiles({ 'dup.yaml': 'maxRestarts: 3\nmaxRestarts: 4\n', 'list.yaml': '- 1\n' });
    const dup = await medic(['policy', 'check', 'dup.yaml'], { cwd: dir });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/\(file\): .*unique/i);
    const list = await medic(['policy', 'check', 'list.yaml'], { cwd: dir });
    expect(list.code).toBe(2);
    const missing = await medic(['policy', 'check', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read nope.yaml: ENOENT');
  });

  it('needs exactly one file argument', async () => {
    const r = await medic(['policy', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: medic policy check FILE');
  });
});
