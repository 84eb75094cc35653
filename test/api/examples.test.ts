/**
 * The shipped Prometheus rules and Grafana dashboard: promtool accepts the rules, the main alerts
 * fire on synthetic series (`promtool test rules`), and every medic metric they reference is one
 * that medic's real /metrics output contains.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Harness, startHarness } from './harness.js';

const RULES = resolve('examples/prometheus/medic-alerts.yml');
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
    expect(output).toContain('SUCCESS: 5 rules found');
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
      'MedicDown',
    ]);
    for (const r of rules) expect(r.annotations.runbook_url).toMatch(/\/runbook#/);
    for (const name of medicMetrics(rules.map((r) => r.expr))) expect(exported, name).toContain(name);
  });

  it('fires the circuit, churn, blocked and down alerts on synthetic series (promtool test rules)', async (ctx) => {
    const bin = needPromtool(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'medic-rules-'));
    const file = join(dir, 'test.yml');
    await writeFile(file, stringify(ruleTest()));
    const { code, output } = await run(bin, ['test', 'rules', file]);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });
});

/** Synthetic series for `promtool test rules`; expected annotations prove the templates render. */
function ruleTest() {
  const alert = (alertname: string, labels: Record<string, string>, annotations: Record<string, string>) => ({
    eval_time: '4m',
    alertname,
    exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }],
  });
  return {
    rule_files: [RULES],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          { series: 'medic_circuit_state{service="api"}', values: '0 2 2 2 2' },
          { series: 'medic_circuit_state{service="web"}', values: '0 0 0 0 0' },
          { series: 'medic_churn_restarts_in_window{service="web"}', values: '0 1 2 2 2' },
          { series: 'medic_churn_max_restarts{service="web"}', values: '3 3 3 3 3' },
          {
            series: 'medic_restarts_blocked_total{service="api",reason="skip_circuit_open"}',
            values: '0 0 1 2 3',
          },
          { series: 'up{job="medic",instance="m:4000"}', values: '0 0 0 0 0' },
        ],
        alert_rule_test: [
          alert(
            'MedicCircuitOpen',
            { severity: 'page', service: 'api' },
            {
              summary: 'medic: circuit open for api; automatic restarts stopped',
              description:
                'Restarting api stopped helping, so medic opened its circuit. Inspect the journal, then approve one probe restart (Slack or approveRestart) or hold the service.',
              runbook_url: 'https://medic.example.com/runbook#action-inspect-and-approve',
            },
          ),
          alert(
            'MedicRestartChurnNearLimit',
            { severity: 'warning', service: 'web' },
            {
              summary: 'medic: web restarted 2 times in the churn window',
              description: 'One more restart opens the circuit for web.',
              runbook_url: 'https://medic.example.com/runbook#action-watch-restart',
            },
          ),
          {
            eval_time: '4m',
            alertname: 'MedicRestartsBlocked',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', service: 'api', reason: 'skip_circuit_open' },
                exp_annotations: {
                  summary: 'medic: restarts of api blocked (skip_circuit_open)',
                  description:
                    'medic refused 3 automatic restart(s) of api in the last 10 minutes because of skip_circuit_open.',
                  runbook_url: 'https://medic.example.com/runbook#decision-skip-circuit-open',
                },
              },
            ],
          },
          alert(
            'MedicDown',
            { severity: 'page', job: 'medic', instance: 'm:4000' },
            {
              summary: 'medic is down; services are not being watched',
              description: 'Prometheus cannot scrape medic. Check `systemctl status medic` and its journal.',
              runbook_url: 'https://medic.example.com/runbook#operator-commands',
            },
          ),
          { eval_time: '4m', alertname: 'MedicContractDrift', exp_alerts: [] },
        ],
      },
    ],
  };
}

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
