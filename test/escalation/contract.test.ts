/** The contract's `escalation` block: defaults, names, and every problem with its path. */
import { describe, expect, it } from 'vitest';
import { loadContract, parseContract } from '../../src/contract/load.js';
import type { ContractError } from '../../src/contract/types.js';
import { resolveEscalation } from '../../src/escalation/escalation.js';

const doc = (escalation: string) => `version: 1
supervisor: { kind: systemd }
conda: { root: /opt/conda, env: e, python: "3.11" }
services:
  - { name: api, unit: api.service, command: [python, app.py] }
escalation: ${escalation}
`;
const problems = (e: string) => {
  try {
    parseContract(doc(e), '/tmp/c.yaml');
    return [];
  } catch (err) {
    return (err as ContractError).problems.map((p) => `${p.path}: ${p.message}`);
  }
};

describe('contract escalation', () => {
  it('fills defaults: every trigger, webhook names webhook-N, no approval timeout', () => {
    const c = parseContract(
      doc('{ webhooks: [{ url: "http://h.test/x", secretEnv: HOOK }] }'),
      '/tmp/c.yaml',
    );
    expect(c.escalation).toEqual({
      pagerduty: null,
      webhooks: [{ name: 'webhook-1', url: 'http://h.test/x', secretEnv: 'HOOK' }],
      on: ['circuit_opened', 'hard_stop', 'probe_failed', 'approval_pending'],
      approvalPendingSec: null,
    });
  });

  it('reports a block without targets, a bad variable name, an unknown trigger and duplicate names', () => {
    expect(problems('{ on: [circuit_opened] }')).toEqual([
      expect.stringMatching(/^escalation: name a target/),
    ]);
    expect(problems('{ pagerduty: { routingKeyEnv: "not a name" } }')[0]).toMatch(
      /^escalation\.pagerduty\.routingKeyEnv: /,
    );
    expect(problems('{ pagerduty: { routingKeyEnv: K }, on: [node_dark] }')[0]).toMatch(
      /^escalation\.on\.0: /,
    );
    expect(
      problems(
        '{ webhooks: [{ name: a, url: "http://x.test", secretEnv: S }, { name: a, url: "http://y.test", secretEnv: S }] }',
      )[0],
    ).toMatch(/webhook names must be unique/);
  });

  it('the example contract carries an escalation block; serve resolves its secrets from the environment or names the missing ones', async () => {
    const c = await loadContract('examples/alertmanager/contract.yaml');
    const opts = { node: 'n1', publicUrl: 'http://m.test', pagerDutyUrl: 'http://pd.test/v2/enqueue' };
    expect(() => resolveEscalation(c.escalation!, { ...opts, secret: () => undefined })).toThrow(
      /PD_ROUTING_KEY: not set[\s\S]*MEDIC_HOOK_SECRET: not set/,
    );
    const r = resolveEscalation(c.escalation!, { ...opts, secret: (n) => `value-of-${n}` });
    expect(r.pagerduty).toEqual({ url: 'http://pd.test/v2/enqueue', routingKey: 'value-of-PD_ROUTING_KEY' });
    expect(r.webhooks).toEqual([
      { name: 'ops', url: 'https://hooks.example.com/medic', secret: 'value-of-MEDIC_HOOK_SECRET' },
    ]);
    expect(r.approvalPendingSec).toBe(900);
  });
});
