/**
 * One schema, from the operator's side: the same `medic` CLI commands against the fleet hub
 * (MEDIC_URL = the hub) and against an agent, with real `medic serve` agents (process backend)
 * shipping to a real hub on a real PostgreSQL. Two nodes run a service named `web`: without
 * `--node` the CLI exits 2 naming both; with it, hold/release run on that node's agent (through its
 * own guards) and answer its result; a name only one node runs needs no `--node`; status, events
 * and drift read the fleet; `medic status --json` shows the same services at the hub and at the agent.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const policy = FLEET_POLICY;
const sleeper = (name: string) => ({ name, python: 'import time; time.sleep(3600)', policy });

const medic = (args: string[], env: Record<string, string>, signal?: AbortSignal) =>
  runMedic(args, { env, signal });

describe.skipIf(skipPg)('the CLI against the fleet hub and an agent (real PostgreSQL, real agents)', () => {
  let hub: RunningHub;
  const agents: AgentProcess[] = [];
  let operator: Record<string, string> = {};
  let viewer: Record<string, string> = {};

  beforeAll(async () => {
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: await freshDatabase(),
      MEDIC_PORT: '0',
      MEDIC_HUB_COMMAND_WAIT_MS: '15000',
    });
    hub = await startHub({ env, logger: createLogger('silent') });
    const db = hub.database.db;
    const now = Date.now();
    operator = { MEDIC_URL: hub.url, MEDIC_TOKEN: await createHubToken(db, 'alice', 'operator', null, now) };
    viewer = { MEDIC_URL: hub.url, MEDIC_TOKEN: await createHubToken(db, 'grafana', 'viewer', null, now) };
    for (const [node, more] of [
      ['node-a', [sleeper('api')]],
      ['node-b', []],
    ] as const) {
      agents.push(
        startAgent({
          hubUrl: hub.url,
          token: await createHubToken(db, `agent-${node}`, 'agent', node, now),
          node,
          service: sleeper('web'),
          more: [...more],
        }),
      );
    }
    await waitFor(
      async () =>
        (await gql(hub.url, viewer.MEDIC_TOKEN!, '{ services { id } }')).data?.services?.length === 3,
      60_000,
      200,
    ).catch((err) => {
      throw new Error(`${err.message}\n${agents.map((a) => a.child.output().slice(-2000)).join('\n')}`);
    });
  }, 90_000);
  afterAll(async () => {
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    await hub?.close().catch(() => {});
  });

  it('lists the fleet with a NODE column, and one service by --node', async () => {
    const table = await medic(['status'], viewer);
    expect(table).toMatchObject({ code: 0, err: '' });
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+SERVICE\s+STATE\s+RESTARTS\s+CIRCUIT\s+NEXT\s+RECOMMENDED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['node-a', 'api', 'healthy'],
      ['node-a', 'web', 'healthy'],
      ['node-b', 'web', 'healthy'],
    ]);
    const one = await medic(['status', 'web', '--node', 'node-b'], viewer);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^web \(web\.service\): healthy/);
    // The runbook link points at the hub, which serves the runbook for the fleet.
    expect(one.out).toContain(`${hub.url}/runbook#`);
    const unique = await medic(['status', 'api', '--json'], viewer);
    expect(JSON.parse(unique.out)).toMatchObject({ id: 'node-a/api', node: 'node-a', name: 'api' });
  });

  it('exits 2 naming the nodes when a name is ambiguous without --node', async () => {
    const status = await medic(['status', 'web'], viewer);
    expect(status).toEqual({
      code: 2,
      out: '',
      err: "medic status: service 'web' runs on several nodes (node-a, node-b): pass --node NAME (one of: node-a, node-b)\n",
    });
    const hold = await medic(['hold', 'web', '--for', '10m', '--reason', 'deploy'], operator);
    expect(hold.code).toBe(2);
    expect(hold.err).toBe(
      "medic hold: service 'web' runs on several nodes (node-a, node-b): pass --node NAME (one of: node-a, node-b)\n",
    );
    const drift = await medic(['drift'], viewer);
    expect(drift.code).toBe(2);
    expect(drift.err).toContain('pass --node NAME (one of: node-a, node-b)');
  });

  it("holds and releases on one node through its agent's guards, and refuses by role at the hub", async () => {
    const hold = await medic(
      ['hold', 'web', '--node', 'node-b', '--for', '10m', '--reason', 'deploy'],
      operator,
    );
    expect(hold).toMatchObject({ code: 0, err: '' });
    expect(hold.out).toMatch(/^held web: now held until \d{4}-/);
    // node-a's web is untouched.
    const a = await medic(['status', 'web', '--node', 'node-a', '--json'], viewer);
    expect(JSON.parse(a.out)).toMatchObject({ state: 'healthy', hold: null });
    const release = await medic(['release', 'web', '--node', 'node-b', '--reason', 'done'], operator);
    expect(release).toEqual({ code: 0, out: 'released web: now healthy\n', err: '' });
    // A name one node runs needs no --node.
    const api = await medic(['hold', 'api', '--for', '5m', '--reason', 'look'], operator);
    expect(api.code).toBe(0);
    expect(api.out).toMatch(/^held api: now held until/);
    const force = await medic(['force', 'api', '--reason', 'x'], operator);
    expect(force).toMatchObject({ code: 1, err: 'medic force: not allowed: this needs the admin role\n' });
  });

  it("reads every node's audit log, or one node's, as on an agent", async () => {
    await waitFor(
      async () =>
        (await medic(['events', '--node', 'node-b', '--limit', '50'], viewer)).out.includes('hold_released'),
      15_000,
      200,
    );
    const b = await medic(
      ['events', '--node', 'node-b', '--service', 'web', '--json', '--limit', '50'],
      viewer,
    );
    const lines = b.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((e) => e.actor === 'hub:alice').map((e) => e.kind)).toEqual([
      'hold_set',
      'hold_released',
    ]);
    expect(lines.every((e) => e.node === 'node-b' && e.id.startsWith('node-b/'))).toBe(true);
    const all = await medic(['events', '--limit', '200'], viewer);
    expect(all.out).toContain('node-b/web');
    expect(all.out).toContain('node-a/api');
  });

  it('follows events at the hub over graphql-ws (medic events --follow)', async () => {
    const stop = new AbortController();
    let seen = '';
    const following = (async () => {
      const stdout = new PassThrough();
      stdout.on('data', (b) => {
        seen += b;
      });
      return main(['events', '--follow', '--node', 'node-b', '--limit', '1'], {
        stdout,
        stderr: new PassThrough(),
        env: viewer,
        cwd: process.cwd(),
        signal: stop.signal,
      });
    })();
    await waitFor(() => hub.bus.listeners().fleet >= 1, 15_000, 50);
    expect(
      (await medic(['hold', 'web', '--node', 'node-b', '--for', '1m', '--reason', 'follow'], operator)).code,
    ).toBe(0);
    await waitFor(() => /node-b\/web\s+hold_set by hub:alice: follow/.test(seen), 15_000, 50);
    stop.abort();
    expect(await following).toBe(0);
    expect((await medic(['release', 'web', '--node', 'node-b', '--reason', 'done'], operator)).code).toBe(0);
  });

  it("checks a node's drift through its agent and shows the shipped report", async () => {
    const check = await medic(['drift', '--check', '--node', 'node-a', '--json'], operator);
    expect([0, 1]).toContain(check.code);
    const report = JSON.parse(check.out);
    expect(report).toMatchObject({ ok: check.code === 0, findings: expect.any(Array) });
    // The agent ships its contract (with the new report) with its next batch.
    await waitFor(
      async () =>
        (await medic(['drift', '--node', 'node-a', '--json'], viewer)).out.includes(report.checkedAt),
      15_000,
      200,
    );
    const shown = await medic(['drift', '--node', 'node-a'], viewer);
    expect(shown.out).toMatch(/contract\.ya?ml: (no drift|DRIFT) \(checked /);
  });

  it('shows the same services at the hub as at the agent itself', async () => {
    const agentUrl = /medic serving on (http:\/\/[0-9.:]+)/.exec(agents[0]!.child.output())![1]!;
    const token = await medic(['token', 'create', '--name', 'local', '--role', 'viewer'], {
      MEDIC_DB: agents[0]!.db,
    });
    expect(token.code).toBe(0);
    const local = { MEDIC_URL: agentUrl, MEDIC_TOKEN: token.out.trimEnd().split('\n').at(-1)! };
    // The agent lists in its contract's order, the hub by node and name.
    const pick = (rows: Record<string, unknown>[]) =>
      [...rows]
        .sort((x, y) => String(x.id).localeCompare(String(y.id)))
        .map(({ id, node, name, unit, state, mode, churn, circuit, policy }) => ({
          id,
          node,
          name,
          unit,
          state,
          mode,
          churn,
          circuit,
          policy,
        }));
    await waitFor(
      async () => {
        const atAgent = JSON.parse((await medic(['status', '--json'], local)).out);
        const atHub = JSON.parse((await medic(['status', '--json', '--node', 'node-a'], viewer)).out);
        return JSON.stringify(pick(atAgent)) === JSON.stringify(pick(atHub));
      },
      15_000,
      200,
    );
    const atAgent = JSON.parse((await medic(['status', '--json'], local)).out);
    expect(atAgent.map((s: { id: string }) => s.id)).toEqual(['node-a/web', 'node-a/api']);
  });
});
