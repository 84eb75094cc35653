/**
 * The shipped Prometheus rules and Grafana dashboard: promtool accepts the rules, every alert has
 * cases in examples/prometheus/medic-alerts.test.yml that pass `promtool test rules`, and every
 * medic metric they reference is one that medic's real /metrics output contains.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerStoreMetrics } from '../../src/serve/store-metrics.js';
import { type Harness, startHarness } from './harness.js';

const RULES = resolve('examples/prometheus/medic-alerts.yml');
const RULE_TESTS = resolve('examples/prometheus/medic-alerts.test.yml');
const DASHBOARD = resolve('examples/grafana/medic-dashboard.json');
const required = process.env.MEDIC_REQUIRE_SYSTEMD === '1';

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(cmd, args, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

let promtool: string | null = null;
let exported: Set<string>;
let h: Harness;

beforeAll(async () => {
  const found = await run('sh', ['-c', 'command -v promtool']);
  promtool = found.code === 0 ? found.output.trim() : null;
  h = await startHarness();
  await h.app.engine.submit('api', { type: 'exited', code: 78 }); // timed: the API's engine
  h.app.metrics.observeProbe('api', 0.01, true);
  // What medic serve adds to the same registry (src/serve/serve.ts).
  registerStoreMetrics(h.app.metrics.registry, h.store.health);
  const text = await h.app.metrics.text();
  exported = new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
  );
});
afterAll(async () => h?.close());

function needPromtool(ctx: { skip: (note?: string) => void }): string {
  if (promtool) return promtool;
  if (required) throw new Error('promtool is required (apt package prometheus)');
  ctx.skip('promtool not installed (apt package prometheus)');
  return '';
}

/** medic_* series names used in PromQL expressions. */
const medicMetrics = (exprs: string[]) => [...new Set(exprs.flatMap((e) => e.match(/medic_[a-z_]+/g) ?? []))];

describe('examples/prometheus/medic-alerts.yml', () => {
  it('passes promtool check rules', async (ctx) => {
    const bin = needPromtool(ctx);
    const { code, output } = await run(bin, ['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS: 7 rules found');
    expect(code).toBe(0);
  });

  it('has a runbook_url on every alert and only uses metrics medic exports', async () => {
    const doc = parse(await readFile(RULES, 'utf8')) as { groups: { rules: Record<string, any>[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'MedicCircuitOpen',
      'MedicRestartChurnNearLimit',
      'MedicRestartsBlocked',
      'MedicContractDrift',
      'MedicStoreFailing',
      'MedicMaintenanceWindow',
      'MedicDown',
    ]);
    for (const r of rules) expect(r.annotations.runbook_url).toMatch(/\/runbook#/);
    for (const name of medicMetrics(rules.map((r) => r.expr))) expect(exported, name).toContain(name);
  });

  it('passes its promtool test cases: no flap across half-open, backoff never pages (promtool test rules)', async (ctx) => {
    const bin = needPromtool(ctx);
    const { code, output } = await run(bin, ['test', 'rules', RULE_TESTS]);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('has a test case for every alert', async () => {
    const doc = parse(await readFile(RULE_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string }[] }[];
    };
    const tested = new Set(doc.tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
    const rules = parse(await readFile(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    for (const r of rules.groups.flatMap((g) => g.rules)) expect(tested, r.alert).toContain(r.alert);
  });
});

describe('examples/grafana/medic-dashboard.json', () => {
  it('is a Grafana dashboard whose queries use only metrics medic exports', async () => {
    const dash = JSON.parse(await readFile(DASHBOARD, 'utf8'));
    expect(dash).toMatchObject({ title: 'medic', uid: 'medic-overview' });
    const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    const names = medicMetrics(exprs).map((n) => n.replace(/_(bucket|count|sum)$/, '_bucket'));
    expect(names.length).toBeGreaterThan(6);
    for (const name of names) expect(exported, name).toContain(name);
  });
});
