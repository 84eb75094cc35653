/**
 * Maintenance windows as fleet commands (issue 15 × issue 18), against the real parts: a real hub
 * on a real PostgreSQL, two real `medic serve` agents (process backend; node-a runs web and api,
 * node-b runs web), PagerDuty faked at the wire. A window scheduled at the hub for node-b's web is
 * run by node-b's agent through its own mutation (audited there for hub:alice, naming the
 * command; command_issued + command_result at the hub), shown by `maintenanceWindows` at the hub
 * and on the agent, cancelled from the hub; refusals at the hub queue nothing; the CLI with
 * `--node` against the hub; a node gone dark inside a hub-scheduled window is not paged while
 * one outside it is; a command for an offline node is pending, then expires (`command_expired`).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { fakeReceiver } from '../escalation/fake-receiver.js';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const sleeper = (name: string) => ({ name, python: 'import time; time.sleep(3600)', policy: FLEET_POLICY });
const WINDOW =
  '__typename ... on MaintenanceWindow { id node services mode actor active } ... on PendingCommand { commandState message } ... on AmbiguousError { nodes } ... on MutationError { code message }';

type Row = { kind: string; actor: string; data: string };

/** The agent's own audit events of `kind` (its SQLite log). */
function agentEvents(db: string, kind: string): Row[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    return sqlite
      .prepare('SELECT kind, actor, data FROM events WHERE kind = ? ORDER BY id')
      .all(kind) as Row[];
  } finally {
    sqlite.close();
  }
}

describe.skipIf(skipPg)(
  'maintenance windows as fleet commands (real hub, real PostgreSQL, real agents)',
  () => {
    let hub: RunningHub;
    let pd: Awaited<ReturnType<typeof fakeReceiver>>;
    const agents = new Map<string, AgentProcess>();
    let op = '';
    let viewer = '';
    const atHub = (token: string) => ({ MEDIC_URL: hub.url, MEDIC_TOKEN: token });
    const q = (query: string, token = op) => gql(hub.url, token, query);
    const commandCount = async () =>
      (await q('{ commands(first: 500) { id } }')).data.commands.length as number;

    beforeAll(async () => {
      pd = await fakeReceiver();
      hub = await startHub({
        env: loadEnv({
          MEDIC_HUB_DATABASE_URL: await freshDatabase(),
          MEDIC_PORT: '0',
          MEDIC_HUB_COMMAND_WAIT_MS: '6000',
          MEDIC_HUB_COMMAND_TTL_SEC: '12',
          MEDIC_HUB_SILENCE_SEC: '5',
          MEDIC_HUB_SWEEP_MS: '200',
          MEDIC_HUB_PAGERDUTY_ROUTING_KEY: 'rk',
          MEDIC_PAGERDUTY_URL: `${pd.url}/v2/enqueue`,
        }),
        logger: createLogger('silent'),
      });
      const db = hub.database.db;
      op = await createHubToken(db, 'alice', 'operator', null, Date.now());
      viewer = await createHubToken(db, 'grafana', 'viewer', null, Date.now());
      for (const [node, services] of [
        ['node-a', [sleeper('web'), sleeper('api')]],
        ['node-b', [sleeper('web')]],
      ] as const) {
        const [service, ...more] = services;
        agents.set(
          node,
          startAgent({
            hubUrl: hub.url,
            token: await createHubToken(db, `agent-${node}`, 'agent', node, Date.now()),
            node,
            service: service!,
            more,
          }),
        );
      }
      await waitFor(
        async () => (await q('{ services { id } }', viewer)).data?.services?.length === 3,
        60_000,
        200,
      ).catch((err) => {
        throw new Error(
          `${err.message}\n${[...agents.values()].map((a) => a.child.output().slice(-2000)).join('\n')}`,
        );
      });
    }, 90_000);

    afterAll(async () => {
      for (const a of agents.values()) if (a.child.exitCode === null) a.child.kill('SIGKILL');
      await hub?.close().catch(() => {});
      await pd?.close();
    });

    it("schedules a window on node-b from the hub: run by node-b's agent, audited on both sides, listed at the hub and on the agent", async () => {
      const answer = await q(
        `mutation { scheduleMaintenance(node: "node-b", services: ["web"], durationSec: 3600, reason: "db migration") { ${WINDOW} } }`,
      );
      expect(answer.data.scheduleMaintenance).toEqual({
        __typename: 'MaintenanceWindow',
        id: 'adhoc:1',
        node: 'node-b',
        services: ['web'],
        mode: 'hold',
        actor: 'hub:alice',
        active: true,
      });
      const cmds = await q('{ commands(node: "node-b") { id service operation state result { ok type } } }');
      expect(cmds.data.commands).toEqual([
        {
          id: expect.any(Number),
          service: 'web',
          operation: 'scheduleMaintenance',
          state: 'done',
          result: { ok: true, type: 'MaintenanceWindow' },
        },
      ]);
      const id = cmds.data.commands[0].id as number;
      // node-b's own audit log: scheduled for hub:alice, naming the hub command; node-a has none.
      const local = agentEvents(agents.get('node-b')!.db, 'maintenance_scheduled');
      expect(local.map((e) => e.actor)).toEqual(['hub:alice']);
      expect(JSON.parse(local[0]!.data)).toMatchObject({
        hubCommand: id,
        via: 'hub',
        role: 'operator',
        window: 'adhoc:1',
      });
      expect(agentEvents(agents.get('node-a')!.db, 'maintenance_scheduled')).toEqual([]);
      const audit = await q('{ hubEvents(node: "node-b", first: 50) { kind actor service data } }');
      expect(
        audit.data.hubEvents
          .filter((e: { data: { command?: number } }) => e.data.command === id)
          .map((e: { kind: string; actor: string; service: string }) => [e.kind, e.actor, e.service]),
      ).toEqual([
        ['command_issued', 'alice', 'web'],
        ['command_result', 'alice', 'web'],
      ]);

      // Shipped beside the contract: listed at the hub (only node-b's, though node-a runs web too).
      const listed = await waitFor(
        async () => {
          const r = await q('{ maintenanceWindows(service: "web") { id node active } }', viewer);
          return r.data.maintenanceWindows.length > 0 ? r.data.maintenanceWindows : null;
        },
        15_000,
        100,
      );
      expect(listed).toEqual([{ id: 'adhoc:1', node: 'node-b', active: true }]);
      // The same list on node-b's own API; its web (at the hub too) is inside the window.
      const agentUrl = /medic serving on (http:\/\/[0-9.:]+)/.exec(agents.get('node-b')!.child.output())![1]!;
      const token = await runMedic(['token', 'create', '--name', 'local', '--role', 'viewer'], {
        env: { MEDIC_DB: agents.get('node-b')!.db },
      });
      const own = await gql(
        agentUrl,
        token.out.trimEnd().split('\n').at(-1)!,
        '{ maintenanceWindows { id node active } }',
      );
      expect(own.data.maintenanceWindows).toEqual([{ id: 'adhoc:1', node: 'node-b', active: true }]);
      await waitFor(
        async () =>
          (await q('{ service(node: "node-b", name: "web") { maintenance { id mode } } }', viewer)).data
            .service.maintenance?.id === 'adhoc:1',
        15_000,
        100,
      );
    }, 60_000);

    it('refuses at the hub before queueing anything: a viewer, services on two nodes without node, an unknown service, a span already over, an id without its node', async () => {
      const before = await commandCount();
      const viewerAnswer = await q(
        `mutation { scheduleMaintenance(node: "node-b", durationSec: 60, reason: "x") { ${WINDOW} } }`,
        viewer,
      );
      expect(viewerAnswer.data.scheduleMaintenance).toMatchObject({ __typename: 'NotAllowedError' });
      const both = await q(
        `mutation { scheduleMaintenance(services: ["web"], durationSec: 60, reason: "x") { ${WINDOW} } }`,
      );
      expect(both.data.scheduleMaintenance).toMatchObject({
        __typename: 'AmbiguousError',
        nodes: ['node-a', 'node-b'],
      });
      const split = await q(
        `mutation { scheduleMaintenance(services: ["api", "web"], node: "node-b", durationSec: 60, reason: "x") { ${WINDOW} } }`,
      );
      expect(split.data.scheduleMaintenance).toMatchObject({
        __typename: 'NotFoundError',
        message: "no service 'api' on node node-b",
      });
      const over = await q(
        `mutation { scheduleMaintenance(node: "node-b", until: "2020-01-01T00:00:00Z", reason: "x") { ${WINDOW} } }`,
      );
      expect(over.data.scheduleMaintenance).toMatchObject({
        __typename: 'ValidationError',
        code: 'VALIDATION',
      });
      const noNode = await q(`mutation { cancelMaintenance(id: "adhoc:1") { ${WINDOW} } }`);
      expect(noNode.data.cancelMaintenance).toMatchObject({
        __typename: 'AmbiguousError',
        nodes: ['node-a', 'node-b'],
      });
      expect(await commandCount()).toBe(before);
    });

    it("cancels node-b's window from the hub through its agent, which answers a second cancel itself", async () => {
      const answer = await q(
        `mutation { cancelMaintenance(node: "node-b", id: "adhoc:1", reason: "done early") { ${WINDOW} } }`,
      );
      expect(answer.data.cancelMaintenance).toMatchObject({
        __typename: 'MaintenanceWindow',
        id: 'adhoc:1',
        active: false,
      });
      const local = agentEvents(agents.get('node-b')!.db, 'maintenance_cancelled');
      expect(local.map((e) => e.actor)).toEqual(['hub:alice']);
      expect(JSON.parse(local[0]!.data)).toMatchObject({
        via: 'hub',
        window: 'adhoc:1',
        hubCommand: expect.any(Number),
      });
      await waitFor(
        async () =>
          (await q('{ maintenanceWindows(node: "node-b") { id } }', viewer)).data.maintenanceWindows
            .length === 0,
        15_000,
        100,
      );
      const again = await q(`mutation { cancelMaintenance(node: "node-b", id: "1") { ${WINDOW} } }`);
      expect(again.data.cancelMaintenance).toEqual({
        __typename: 'ConflictError',
        code: 'CONFLICT',
        message: 'maintenance window adhoc:1 is already over or cancelled',
      });
    }, 60_000);

    it('medic maintenance add|list|cancel --node work against the hub', async () => {
      const ambiguous = await runMedic(
        ['maintenance', 'add', '--services', 'web', '--for', '30m', '--reason', 'x'],
        {
          env: atHub(op),
        },
      );
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.err).toContain('pass --node NAME (one of: node-a, node-b)');
      const b = await runMedic(
        ['maintenance', 'add', '--node', 'node-b', '--services', 'web', '--for', '30m', '--reason', 'kernel'],
        { env: atHub(op) },
      );
      expect(b).toMatchObject({ code: 0, err: '' });
      expect(b.out).toMatch(/^scheduled adhoc:2 on node-b \(hold\) for web: \d{4}-.* → \d{4}-/);
      // api runs on node-a only: no --node needed.
      const a = await runMedic(
        ['maintenance', 'add', '--services', 'api', '--for', '30m', '--reason', 'look'],
        {
          env: atHub(op),
        },
      );
      expect(a).toMatchObject({ code: 0 });
      expect(a.out).toMatch(/^scheduled adhoc:1 \(hold\) for api: /);
      const table = await waitFor(
        async () => {
          const r = await runMedic(['maintenance', 'list'], { env: atHub(viewer) });
          return r.out.split('\n').length >= 4 ? r : null;
        },
        15_000,
        200,
      );
      const lines = table.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NODE\s+ID\s+MODE\s+WHEN\s+SERVICES\s+FROM\s+UNTIL\s+SCHEDULE \/ REASON$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
        ['node-a', 'adhoc:1', 'hold', 'now', 'api'],
        ['node-b', 'adhoc:2', 'hold', 'now', 'web'],
      ]);
      const one = await runMedic(['maintenance', 'list', '--node', 'node-b', '--json'], {
        env: atHub(viewer),
      });
      expect(JSON.parse(one.out).map((w: { id: string; actor: string }) => [w.id, w.actor])).toEqual([
        ['adhoc:2', 'hub:alice'],
      ]);
      const unclear = await runMedic(['maintenance', 'cancel', '2', '--reason', 'done'], { env: atHub(op) });
      expect(unclear.code).toBe(2);
      expect(unclear.err).toContain('pass --node NAME (one of: node-a, node-b)');
      for (const [node, id] of [
        ['node-b', '2'],
        ['node-a', 'adhoc:1'],
      ]) {
        const done = await runMedic(['maintenance', 'cancel', id!, '--node', node!, '--reason', 'done'], {
          env: atHub(op),
        });
        expect(done).toMatchObject({ code: 0, err: '' });
        expect(done.out).toMatch(new RegExp(`^cancelled adhoc:\\d on ${node}: its services are handed back`));
      }
      const refused = await runMedic(
        ['maintenance', 'add', '--node', 'node-b', '--for', '1h', '--reason', 'x'],
        {
          env: atHub(viewer),
        },
      );
      expect(refused).toMatchObject({
        code: 1,
        err: 'medic maintenance add: not allowed: this needs the operator role\n',
      });
    }, 90_000);

    it('pages for a node gone dark outside any window, not for one dark inside a hub-scheduled window', async () => {
      const w = await q(
        `mutation { scheduleMaintenance(node: "node-b", durationSec: 3600, reason: "reboot") { ${WINDOW} } }`,
      );
      expect(w.data.scheduleMaintenance).toMatchObject({ id: 'adhoc:3', services: null, active: true });
      await waitFor(
        async () =>
          (await q('{ service(node: "node-b", name: "web") { maintenance { id } } }', viewer)).data.service
            .maintenance?.id === 'adhoc:3',
        15_000,
        100,
      );
      for (const a of agents.values()) a.child.kill('SIGKILL');
      const downs = await waitFor(
        async () => {
          const r = await q('{ hubEvents(kinds: ["node_down"], first: 50) { node data } }', viewer);
          const list = r.data.hubEvents as { node: string; data: Record<string, unknown> }[];
          return new Set(list.map((e) => e.node)).size === 2 ? list : null;
        },
        30_000,
        200,
      );
      expect(downs.find((e) => e.node === 'node-b')!.data.maintenance, JSON.stringify(downs)).toEqual({
        id: 'adhoc:3',
        name: 'adhoc-3',
        mode: 'hold',
        notify: false,
      });
      expect(downs.find((e) => e.node === 'node-a')!.data.maintenance).toBeUndefined();
      const triggers = () =>
        pd.received.filter((r) => r.body.event_action === 'trigger').map((r) => String(r.body.dedup_key));
      await waitFor(() => triggers().some((k) => k.includes('/node/node-a/')), 30_000, 100);
      expect(triggers().filter((k) => k.includes('/node/node-b/'))).toEqual([]);
      const rows = await hub.database.pool.query(
        "SELECT count(*)::int AS n FROM hub_escalations WHERE node = 'node-b'",
      );
      expect(rows.rows[0].n).toBe(0);
    }, 90_000);

    it('a command for an offline node is answered pending (CLI exit 1), then expires once with command_expired', async () => {
      const pending = await runMedic(
        ['maintenance', 'add', '--node', 'node-b', '--for', '10m', '--reason', 'x'],
        {
          env: atHub(op),
        },
      );
      expect(pending.code).toBe(1);
      expect(pending.err).toMatch(
        /^medic maintenance add: not confirmed: command (\d+) is pending: node node-b has not answered yet\n$/,
      );
      const id = Number(/command (\d+)/.exec(pending.err)![1]);
      const expired = await waitFor(
        async () => {
          const r = await q(
            '{ hubEvents(kinds: ["command_expired"], first: 50) { node actor data } }',
            viewer,
          );
          const mine = (r.data.hubEvents as { data: { command: number } }[]).filter(
            (e) => e.data.command === id,
          );
          return mine.length > 0 ? mine : null;
        },
        30_000,
        200,
      );
      expect(expired).toEqual([
        {
          node: 'node-b',
          actor: 'alice',
          data: expect.objectContaining({ operation: 'scheduleMaintenance', delivered: false }),
        },
      ]);
      const cmd = await q(`{ command(id: ${id}) { state result { ok } } }`);
      expect(cmd.data.command).toEqual({ state: 'expired', result: null });
      // What node-b last shipped is still what the hub shows (judged on the hub's clock).
      const shown = await q('{ maintenanceWindows(node: "node-b") { id active } }', viewer);
      expect(shown.data.maintenanceWindows).toEqual([{ id: 'adhoc:3', active: true }]);
    }, 60_000);
  },
);
