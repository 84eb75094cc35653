/**
 * examples/prometheus/medic-hub-alerts.yml: promtool accepts it and its cases pass (MedicNodeDown
 * fires for the silent node only, once across replicas, and resolves when it is back), and it
 * uses only metrics the hub exports (medic_node_up is scraped for real in replicas.test.ts).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const RULES = resolve('examples/prometheus/medic-hub-alerts.yml');
const CASES = resolve('examples/prometheus/medic-hub-alerts.test.yml');
const required = process.env.MEDIC_REQUIRE_SYSTEMD === '1';

const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; output: string }>((done) =>
    execFile(cmd, args, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, output: `${stdout}${stderr}` }),
    ),
  );

async function promtool(ctx: { skip: (note?: string) => void }): Promise<string> {
  const found = await run('sh', ['-c', 'command -v promtool']);
  if (found.code === 0) return found.output.trim();
  if (required) throw new Error('promtool is required (apt package prometheus)');
  ctx.skip('promtool not installed (apt package prometheus)');
  return '';
}

describe('examples/prometheus/medic-hub-alerts.yml', () => {
  it('passes promtool check rules and its test cases', async (ctx) => {
    const bin = await promtool(ctx);
    const check = await run(bin, ['check', 'rules', RULES]);
    expect(check.output).toContain('SUCCESS: 2 rules found');
    const cases = await run(bin, ['test', 'rules', CASES]);
    expect(cases.output).toContain('SUCCESS');
    expect(cases.code).toBe(0);
  });

  it('tests every alert and uses only the hub metrics', () => {
    const rules = (
      parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['MedicNodeDown', 'MedicHubDown']);
    const tested = new Set(
      (
        parse(readFileSync(CASES, 'utf8')) as { tests: { alert_rule_test: { alertname: string }[] }[] }
      ).tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
    );
    for (const r of rules) expect(tested).toContain(r.alert);
    const used = new Set(rules.flatMap((r) => r.expr.match(/medic_[a-z_]+/g) ?? []));
    expect([...used]).toEqual(['medic_node_up']);
    expect(readFileSync('src/hub/metrics.ts', 'utf8')).toContain("name: 'medic_node_up'");
  });
});
