/**
 * examples/alertmanager: amtool accepts the Alertmanager config, its medic receiver posts to
 * /alertmanager with a bearer token and send_resolved, and the example contract's alert rules load.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadContract, parseContract } from '../../src/contract/load.js';
import type { ContractError } from '../../src/contract/types.js';

const AMTOOL = '/usr/bin/amtool';

describe('examples/alertmanager', () => {
  it('amtool check-config accepts alertmanager.yml; the medic receiver is /alertmanager with a token and send_resolved', async () => {
    const out = await new Promise<{ code: number; text: string }>((done) =>
      execFile(AMTOOL, ['check-config', 'examples/alertmanager/alertmanager.yml'], (err, so, se) =>
        done({ code: err ? 1 : 0, text: `${so}${se}` }),
      ),
    );
    expect(out.text).toMatch(/SUCCESS/);
    expect(out.code).toBe(0);
    const cfg = parse(await readFile('examples/alertmanager/alertmanager.yml', 'utf8'));
    const medic = cfg.receivers.find((r: { name: string }) => r.name === 'medic');
    const hook = medic.webhook_configs[0];
    expect(new URL(hook.url).pathname).toBe('/alertmanager');
    expect(hook.send_resolved).toBe(true);
    expect(hook.http_config.authorization.credentials_file).toBeTruthy();
  });

  it('the example contract loads with its alert rules', async () => {
    const c = await loadContract('examples/alertmanager/contract.yaml');
    expect(c.services.find((s) => s.name === 'api')?.alerts?.map((r) => r.action)).toEqual([
      'observe',
      'restart',
      'hold',
    ]);
  });

  it('an unknown action or an empty match is a contract problem with its path', () => {
    const text = (rule: string) => `version: 1
supervisor: { kind: systemd }
conda: { root: /opt/conda, env: e, python: "3.11" }
services:
  - name: api
    unit: api.service
    command: [python, app.py]
    alerts: [${rule}]
`;
    const problems = (rule: string) => {
      try {
        parseContract(text(rule), '/tmp/c.yaml');
        return [];
      } catch (err) {
        return (err as ContractError).problems.map((p) => p.path);
      }
    };
    expect(problems('{ match: { alertname: X }, action: reboot }')).toEqual(['services.0.alerts.0.action']);
    expect(problems('{ match: {}, action: hold }')).toEqual(['services.0.alerts.0.match']);
    expect(problems('{ match: { alertname: X }, action: hold, holdTtlSec: 60 }')).toEqual([]);
  });
});
