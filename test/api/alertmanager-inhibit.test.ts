/**
 * The maintenance inhibit rule of examples/alertmanager/alertmanager.yml in a REAL Alertmanager:
 * while MedicMaintenanceWindow fires for a service (from medic_maintenance_active), that
 * service's pages are inhibited; other services' are not.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  alertmanagerAvailable,
  type RunningAlertmanager,
  startAlertmanager,
} from '../helpers/alertmanager.js';

const required = process.env.MEDIC_REQUIRE_SYSTEMD === '1';
const describeAm = alertmanagerAvailable || required ? describe : describe.skip;

interface Listed {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

describeAm('the maintenance inhibit rule (real Alertmanager)', () => {
  let am: RunningAlertmanager;
  beforeAll(async () => {
    const example = parse(await readFile('examples/alertmanager/alertmanager.yml', 'utf8'));
    am = await startAlertmanager({
      webhookUrl: 'http://127.0.0.1:9/alertmanager',
      token: 'unused',
      extraConfig: stringify({ inhibit_rules: example.inhibit_rules }),
    });
  }, 30_000);
  afterAll(async () => am?.stop());

  it("inhibits the service's pages while its window alert fires, and only that service's", async () => {
    const startsAt = new Date().toISOString();
    await am.post([
      {
        labels: { alertname: 'MedicMaintenanceWindow', service: 'api', mode: 'hold', severity: 'none' },
        startsAt,
      },
      { labels: { alertname: 'MedicCircuitOpen', service: 'api', severity: 'page' }, startsAt },
      { labels: { alertname: 'MedicCircuitOpen', service: 'worker', severity: 'page' }, startsAt },
    ]);
    let listed: Listed[] = [];
    for (let i = 0; i < 100; i++) {
      listed = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as Listed[];
      const api = listed.find((a) => a.labels.alertname === 'MedicCircuitOpen' && a.labels.service === 'api');
      if (api?.status.state === 'suppressed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = (name: string, service: string) =>
      listed.find((a) => a.labels.alertname === name && a.labels.service === service)?.status;
    expect(state('MedicCircuitOpen', 'api')).toMatchObject({
      state: 'suppressed',
      inhibitedBy: [expect.any(String)],
    });
    expect(state('MedicCircuitOpen', 'worker')).toMatchObject({ state: 'active', inhibitedBy: [] });
    expect(state('MedicMaintenanceWindow', 'api')).toMatchObject({ state: 'active' });
  });
});
