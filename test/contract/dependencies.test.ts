/** dependsOn / restartWith in the contract: resolved per service; every bad reference named with its path (exit 2). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetDependencyProblems } from '../../src/contract/dependencies.js';
import { ContractError, parseContract } from '../../src/contract/load.js';
import { cli, tempDir } from './helpers.js';

const HEAD =
  'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices:\n';
const svc = (name: string, more = '') =>
  `  - {name: ${name}, unit: ${name}.service, command: [python]${more}}\n`;

function problems(text: string): string[] {
  try {
    parseContract(text, '/tmp/x/medic.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return (err as ContractError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the contract to be rejected');
}

describe('dependsOn and restartWith in the contract', () => {
  it('are resolved onto the services (absent when empty)', () => {
    const c = parseContract(
      HEAD +
        svc('db') +
        svc('api', ', dependsOn: [db], restartWith: [worker]') +
        svc('worker', ', dependsOn: [db]'),
      '/tmp/x/medic.yaml',
    );
    expect(c.services.map((s) => [s.name, s.dependsOn, s.restartWith])).toEqual([
      ['db', undefined, undefined],
      ['api', ['db'], ['worker']],
      ['worker', ['db'], undefined],
    ]);
  });

  it('rejects a cycle with its path, once', () => {
    const found = problems(
      HEAD +
        svc('db', ', dependsOn: [api]') +
        svc('cache', ', dependsOn: [db]') +
        svc('api', ', dependsOn: [cache]'),
    );
    expect(found).toEqual(['services.0.dependsOn: dependsOn cycle: db → api → cache → db']);
  });

  it('rejects a restartWith cycle (it would restart forever)', () => {
    expect(problems(HEAD + svc('a', ', restartWith: [b]') + svc('b', ', restartWith: [a]'))).toEqual([
      'services.0.restartWith: restartWith cycle: a → b → a',
    ]);
  });

  it('rejects unknown names, itself, duplicates and malformed fleet references, all at once', () => {
    expect(
      problems(
        HEAD +
          svc('db') +
          svc(
            'api',
            ', dependsOn: [dbb, api, db, db, edge-1/db/x, /db, edge-1/db, edge-1/db], restartWith: [other/worker]',
          ),
      ),
    ).toEqual([
      "services.1.dependsOn.0: unknown service 'dbb' (services: db, api)",
      'services.1.dependsOn.1: a service cannot list itself in dependsOn',
      "services.1.dependsOn.3: 'db' is listed twice",
      "services.1.dependsOn.4: 'edge-1/db/x' is not a service on another node: write node/name (the node as in MEDIC_NODE_NAME)",
      "services.1.dependsOn.5: '/db' is not a service on another node: write node/name (the node as in MEDIC_NODE_NAME)",
      "services.1.dependsOn.7: 'edge-1/db' is listed twice",
      "services.1.restartWith.0: 'other/worker': restartWith names services of this contract only",
    ]);
  });

  it('takes a dependency on another node (node/name) in the contract; it needs a hub and another node', () => {
    const c = parseContract(HEAD + svc('api', ', dependsOn: [edge-1/db]'), '/tmp/x/medic.yaml');
    expect(c.services[0]!.dependsOn).toEqual(['edge-1/db']);
    const msgs = (env: { hub: boolean; node: string }) =>
      fleetDependencyProblems(c, env).map((p) => `${p.path}: ${p.message}`);
    expect(msgs({ hub: true, node: 'edge-2' })).toEqual([]);
    expect(msgs({ hub: false, node: 'edge-2' })).toEqual([
      "services.0.dependsOn.0: 'edge-1/db' names a service on node edge-1: a dependency on another node needs fleet mode (set MEDIC_HUB_URL and MEDIC_HUB_TOKEN), or remove it",
    ]);
    expect(msgs({ hub: true, node: 'edge-1' })).toEqual([
      "services.0.dependsOn.0: 'edge-1/db' names this node (MEDIC_NODE_NAME=edge-1): write 'db'",
    ]);
  });

  it('exits 2 from `medic contract check` for a node/name dependency without a hub, with the reason', async () => {
    const dir = await tempDir();
    const file = join(dir, 'fleet.yaml');
    await writeFile(file, HEAD + svc('api', ', dependsOn: [edge-1/db]'));
    const r = await cli(['contract', 'check', '--contract', file, '--source', 'repo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "services.0.dependsOn.0: 'edge-1/db' names a service on node edge-1: a dependency on another node needs fleet mode (set MEDIC_HUB_URL and MEDIC_HUB_TOKEN), or remove it",
    );
  });

  it('exits 2 from `medic contract check`, naming the cycle', async () => {
    const dir = await tempDir();
    const file = join(dir, 'cycle.yaml');
    await writeFile(file, HEAD + svc('a', ', dependsOn: [b]') + svc('b', ', dependsOn: [a]'));
    const r = await cli(['contract', 'check', '--contract', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/services\.0\.dependsOn: dependsOn cycle: a → b → a/);
  });
});
