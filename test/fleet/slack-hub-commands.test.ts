/**
 * `/medic`, App Home and the Release button at the hub, with real `medic serve` agents on two
 * nodes (process backend), a real hub on PostgreSQL and Slack faked at the wire (signed requests
 * in, Web API and response_url calls out).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { signV0 } from '../../bot/verify.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { controlValue, HUB_ACTION } from '../../src/hub/slack-controls.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { FakeSlack } from '../bot/fake-slack.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { gql } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const SECRET = 'hub-signing-secret-for-tests';

/** A signed Slack request (form-encoded) to the hub; answers the status and the JSON body. */
async function signed(hubUrl: string, form: Record<string, string>) {
  const body = new URLSearchParams(form).toString();
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`${hubUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signV0(SECRET, ts, body),
    },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as { text?: string; blocks?: unknown[] }) : {},
  };
}

// Crashes at once: with one restart allowed per window, the circuit opens on the second crash.
const CRASHER = {
  ...FLEET_POLICY,
  maxRestarts: 1,
  circuit: { openSec: 600, maxOpenSec: 1200, hardStop: false },
};
const SLEEPER = 'import time; time.sleep(3600)';

describe.skipIf(skipPg)('/medic, App Home and Release at the hub (real agents, real PostgreSQL)', () => {
  const slack = new FakeSlack();
  let hub: RunningHub | null = null;
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
    await slack.close();
  });

  it('answers status, actions and maintenance for node/service, publishes App Home, and a held incident offers Release', async () => {
    await slack.start();
    const db = await freshDatabase();
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: db,
      MEDIC_HOST: '127.0.0.1',
      MEDIC_PORT: '0',
      MEDIC_HUB_LEADER_RETRY_MS: '100',
      MEDIC_HUB_COMMAND_WAIT_MS: '15000',
      SLACK_BOT_TOKEN: 'xoxb-hub-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CHANNEL: 'C0FLEET01',
      SLACK_API_URL: slack.apiUrl,
      SLACK_OPERATORS: 'U0OPER',
    });
    hub = await startHub({ env, logger: createLogger('silent') });
    const h = hub;
    const admin = await createHubToken(h.database.db, 'test-admin', 'admin', null, Date.now());
    for (const node of ['node-a', 'node-b']) {
      const token = await createHubToken(h.database.db, `agent-${node}`, 'agent', node, Date.now());
      const agent = startAgent({
        hubUrl: h.url,
        token,
        node,
        service: { name: 'api', python: SLEEPER, policy: FLEET_POLICY },
        more:
          node === 'node-a' ? [{ name: 'worker', python: 'import sys; sys.exit(3)', policy: CRASHER }] : [],
      });
      children.push(agent.child);
    }
    const state = async (node: string, name: string) =>
      (
        await gql(h.url, admin, 'query($n: String!, $s: String!) { service(node: $n, name: $s) { state } }', {
          n: node,
          s: name,
        })
      ).data?.service?.state;
    await waitFor(
      async () =>
        (await state('node-a', 'worker')) === 'circuit_open' && (await state('node-b', 'api')) === 'healthy',
      60_000,
      200,
    ).catch((err) => {
      throw new Error(`${err.message}\n${children.map((c) => c.output().slice(-2000)).join('\n---\n')}`);
    });
    const top = () => slack.of('chat.postMessage').filter((c) => !c.args.thread_ts);
    const incident = await slack.waitFor(
      () => top().find((m) => String(m.args.text).includes('worker')),
      15_000,
    );
    expect(String(incident.args.text)).toContain('node-a/worker: circuit opened');
    // The incident reads as the agent bot's: the service's state, the recommended action for it
    // and a Runbook button to the hub's /runbook at the action's anchor, beside the hub's controls.
    const blocksOf = (call: { args: Record<string, unknown> }) =>
      call.args.blocks as { type: string; text?: { text: string }; elements?: Record<string, unknown>[] }[];
    const said = JSON.stringify(blocksOf(incident));
    expect(said).toContain('*State*\\n:red_circle: `circuit_open`');
    expect(said).toMatch(
      /\*Recommended:\* Circuit open for worker \(\w+\): inspect `journalctl -u worker\.service -n 200`/,
    );
    const runbookOf = (call: { args: Record<string, unknown> }) =>
      blocksOf(call)
        .find((b) => b.type === 'actions')
        ?.elements?.find((e) => e.action_id === 'medic_runbook')?.url;
    expect(runbookOf(incident)).toBe(`${h.url}/runbook#action-inspect-and-approve`);
    const runbook = await (await fetch(`${h.url}/runbook`)).text();
    expect(runbook).toContain('id="action-inspect-and-approve"');

    const medic = (user: string, text: string, id: string) =>
      signed(h.url, {
        command: '/medic',
        text,
        user_id: user,
        channel_id: 'C0FLEET01',
        response_url: slack.responseUrl(id),
      });

    // help and the fleet status, in the command's own (ephemeral) answer.
    expect((await medic('U0VIEW', 'help', 'h')).body.text).toContain('/medic approve <node>/<service>');
    const status = await medic('U0VIEW', 'status', 's');
    expect(status.status).toBe(200);
    expect(status.body.text).toMatch(/\*2 nodes\*, \*3 services\* \(circuit_open 1, healthy 2\)/);
    expect(JSON.stringify(status.body.blocks)).toContain('*node-a/worker* `circuit_open`');
    expect(JSON.stringify(status.body.blocks)).not.toContain('node-b/api');
    // A name two nodes run needs its node; node/service picks one.
    expect((await medic('U0VIEW', 'status api', 'a')).body.text).toMatch(/^AMBIGUOUS: .*node-a, node-b/);
    const one = await medic('U0VIEW', 'status node-b/api', 'b');
    expect(one.body.text).toBe('node-b/api: healthy');
    expect(JSON.stringify(one.body.blocks)).toContain('*node-b/api* `healthy`');

    const sql = new pg.Client({ connectionString: db });
    await sql.connect();
    try {
      // A viewer's block is refused by the API (audited at the hub), told through response_url.
      expect((await medic('U0VIEW', 'block node-a/worker 2h', 'v')).body.text).toContain('Sending block');
      const refused = await slack.waitFor(() => slack.responded.find((r) => r.id === 'v'), 10_000);
      expect(String(refused.body.text)).toMatch(/NOT_ALLOWED/);
      // The API records the refusal after answering it (HubDenials): wait for the row.
      const denied = async () =>
        (await sql.query("SELECT actor FROM hub_events WHERE kind = 'access_denied'")).rows;
      await waitFor(async () => (await denied()).length > 0, 10_000, 50);
      expect(await denied()).toEqual([{ actor: 'slack:U0VIEW' }]);

      // An operator's block runs on node-a's agent; the answer and the incident say so, and the
      // incident's controls now offer Release instead of Block.
      await medic('U0OPER', 'block node-a/worker 2h db restore', 'o');
      const done = await slack.waitFor(() => slack.responded.find((r) => r.id === 'o'), 20_000);
      expect(String(done.body.text)).toContain('block *node-a/worker*: done on *node-a* (now `held`)');
      const controls = (call: { args: Record<string, unknown> }) =>
        (
          (call.args.blocks as { type: string; elements?: { action_id: string }[] }[]).find(
            (b) => b.type === 'actions',
          )?.elements ?? []
        ).map((e) => e.action_id);
      const heldUpdate = await slack.waitFor(
        () =>
          slack
            .of('chat.update')
            .find((c) => String(c.args.text).includes('blocked automatic restarts: done')),
        15_000,
      );
      expect(controls(heldUpdate)).toEqual([HUB_ACTION.approve, HUB_ACTION.release, 'medic_runbook']);
      // Held now: the recommendation and its runbook anchor follow the node's view.
      expect(JSON.stringify(blocksOf(heldUpdate))).toContain(
        '*Recommended:* Automatic restarts of worker are held by',
      );
      expect(runbookOf(heldUpdate)).toBe(`${h.url}/runbook#action-review-hold`);
      const cmd = await sql.query(
        "SELECT actor, args, reason FROM fleet_commands WHERE operation = 'holdService'",
      );
      expect(cmd.rows).toEqual([{ actor: 'slack:U0OPER', args: { ttlSec: 7200 }, reason: 'db restore' }]);

      // App Home: the fleet summary with the held service and its Release control.
      await fetch(`${h.url}/slack/events`, appHomeRequest('U0OPER'));
      const home = await slack.waitFor(() => slack.of('views.publish').at(-1), 10_000);
      expect(home.args.user_id).toBe('U0OPER');
      expect(JSON.stringify(home.args.view)).toContain('*node-a/worker* `held`');
      expect(JSON.stringify(home.args.view)).toContain(HUB_ACTION.release);
      expect(JSON.stringify(home.args.view)).toContain(`"url":"${h.url}/runbook#action-review-hold"`);

      // Release from the incident message: the agent releases; the controls offer Block again.
      const click = {
        type: 'block_actions',
        user: { id: 'U0OPER' },
        response_url: slack.responseUrl('r'),
        actions: [{ action_id: HUB_ACTION.release, value: controlValue('node-a', 'worker') }],
      };
      expect((await signed(h.url, { payload: JSON.stringify(click) })).status).toBe(200);
      const released = await slack.waitFor(
        () => slack.of('chat.update').find((c) => String(c.args.text).includes('released the hold: done')),
        20_000,
      );
      expect(controls(released)).toEqual([HUB_ACTION.approve, HUB_ACTION.block, 'medic_runbook']);
      expect(await state('node-a', 'worker')).not.toBe('held');

      // Maintenance windows: a name two nodes run needs node=; the window runs on that node's
      // agent and comes back; list shows it once shipped; cancel ends it.
      await medic('U0OPER', 'maintenance 30m services=api upgrade', 'm0');
      const ambiguous = await slack.waitFor(() => slack.responded.find((r) => r.id === 'm0'), 20_000);
      expect(String(ambiguous.body.text)).toMatch(/:no_entry: .*node-a, node-b/);
      await medic('U0OPER', 'maintenance 30m services=api node=node-b kernel upgrade', 'm1');
      const scheduled = await slack.waitFor(() => slack.responded.find((r) => r.id === 'm1'), 20_000);
      expect(String(scheduled.body.text)).toMatch(
        /^:wrench: Maintenance window `(adhoc:\d+)` \(hold\) for api until .*`\/medic maintenance cancel adhoc:\d+ node=node-b`/,
      );
      const id = /`(adhoc:\d+)`/.exec(String(scheduled.body.text))![1]!;
      await waitFor(
        async () => (await medic('U0VIEW', 'maintenance list', 'l')).body.text?.includes(id),
        15_000,
        200,
      );
      await medic('U0OPER', `maintenance cancel ${id} node=node-b done`, 'm2');
      const cancelled = await slack.waitFor(() => slack.responded.find((r) => r.id === 'm2'), 20_000);
      expect(String(cancelled.body.text)).toContain(`Maintenance window \`${id}\` cancelled`);
    } finally {
      await sql.end();
    }
  }, 120_000);
});

/** Slack's Events API request when a user opens the App Home tab (JSON, signed). */
function appHomeRequest(user: string): RequestInit {
  const body = JSON.stringify({
    type: 'event_callback',
    event: { type: 'app_home_opened', user, tab: 'home' },
  });
  const ts = Math.floor(Date.now() / 1000);
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signV0(SECRET, ts, body),
    },
    body,
  };
}
