import { describe, expect, it } from 'vitest';
import { ContractError, parseContract } from '../../src/contract/load.js';
import { renderDropIn, serviceEnvironment } from '../../src/contract/render.js';

const doc = (activation?: string) => `version: 1
supervisor: { kind: systemd, scope: system }
conda: { root: /opt/conda, env: shop, python: "3.11" }
services:
  - name: api
    unit: api.service
    command: [python, app.py]
    environment: { MODE: prod }
${activation ? `    activation: ${activation}\n` : ''}`;

describe('contract: a service says which conda variables its unit carries (activation)', () => {
  it('defaults to env: CONDA_PREFIX and PATH are rendered and checked', () => {
    const c = parseContract(doc(), '/tmp/c.yaml');
    expect(c.services[0]!.activation).toBe('env');
    expect(Object.keys(serviceEnvironment(c, c.services[0]!))).toEqual(['CONDA_PREFIX', 'MODE', 'PATH']);
  });

  it('path: only PATH with <prefix>/bin first', () => {
    const c = parseContract(doc('path'), '/tmp/c.yaml');
    expect(serviceEnvironment(c, c.services[0]!)).toEqual({
      MODE: 'prod',
      PATH: '/opt/conda/envs/shop/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    });
  });

  it('none: neither, and the drop-in does not add them', () => {
    const c = parseContract(doc('none'), '/tmp/c.yaml');
    expect(serviceEnvironment(c, c.services[0]!)).toEqual({ MODE: 'prod' });
    expect(renderDropIn(c, c.services[0]!).content).not.toMatch(/CONDA_PREFIX|PATH=/);
  });

  it('rejects other values with the path to the key', () => {
    expect(() => parseContract(doc('conda'), '/tmp/c.yaml')).toThrow(ContractError);
    try {
      parseContract(doc('conda'), '/tmp/c.yaml');
    } catch (err) {
      expect((err as ContractError).problems[0]).toMatchObject({ path: 'services.0.activation', line: 9 });
    }
  });
});
