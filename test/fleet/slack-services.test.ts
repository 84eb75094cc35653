import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { signV0 } from '../../bot/verify.js';
import { loadEnv } from '../../src/config/env.js';
import { recordHubEvent } from '../../src/hub/events.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { controlValue, HUB_ACTION } from '../../src/hub/slack-controls.js';
import { createLogger } from '../../src/log.js';
import { agentSlackOn } from '../../src/serve/serve.js';
import { FakeSlack } from '../bot/fake-slack.js';
import { hubTokenViaCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { batch, ship, view } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

const SECRET = 'hub-signing-secret-for-tests';

const agentToken = (db: string, node: string) =>
  hubTokenViaCli({ MEDIC_HUB_DATABASE_URL: db }, `agent-${node}`, node);

/** A Slack interactivity request as Slack sends it: form-encoded payload, v0 signature. */
async function click(
  hubUrl: string,
  payload: Record<string, unknown>,
  opts: { secret?: string; timestamp?: number } = {},
): Promise<number> {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${hubUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signV0(opts.secret ?? SECRET, ts, body),
    },
    body,
  });
  await res.text();
  return res.status;
}

const blockActions = (user: string, action: Record<string, unknown>, responseUrl: string) => ({
  type: 'block_actions',
  user: { id: user },
  team: { id: 'T0FAKE01' },
  response_url: responseUrl,
  actions: [action],
});

const event = (id: number, kind: string, extra: Record<string, unknown> = {}) => ({
  id,
  at: Date.now(),
  service: 'api',
  kind,
  reason: `${kind} for the test`,
  ...extra,
});

describe('agent Slack in fleet mode', () => {
  it('stays off when the agent ships to a hub, unless MEDIC_SLACK_IN_FLEET=1', () => {
    expect(agentSlackOn(loadEnv({}))).toBe(true);
    const fleet = { MEDIC_HUB_URL: 'http://127.0.0.1:4200', MEDIC_HUB_TOKEN: 'medic_abcdefgh' };
    expect(agentSlackOn(loadEnv(fleet))).toBe(false);
    expect(agentSlackOn(loadEnv({ ...fleet, MEDIC_SLACK_IN_FLEET: '1' }))).toBe(true);
  });
});

describe.skipIf(skipPg)('service incidents in Slack at the hub (real PostgreSQL, signed clicks)', () => {
  const slack = new FakeSlack();
  const hubs: RunningHub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.close();
    await slack.close();
  });

  it('posts once with controls; a click on any replica becomes a command; the result updates the message', async () => {
    await slack.start();
    const db = await freshDatabase();
    const env = loadEnv({
      MEDIC_HUB_DATABASE_URL: db,
      MEDIC_HOST: '127.0.0.1',
      MEDIC_PORT: '0',
      MEDIC_HUB_SILENCE_SEC: '3600',
      MEDIC_HUB_LEADER_RETRY_MS: '100',
      MEDIC_HUB_COMMAND_WAIT_MS: '0',
      SLACK_BOT_TOKEN: 'xoxb-hub-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CHANNEL: 'C0FLEET01',
      SLACK_API_URL: slack.apiUrl,
      SLACK_OPERATORS: 'U0OPER',
    });
    const logger = createLogger('silent');
    const first = await startHub({ env, logger });
    hubs.push(first);
    await waitFor(() => first.slack?.isLeader(), 10_000, 20);
    const second = await startHub({ env, logger });
    hubs.push(second);
    const token = await agentToken(db, 'node-a');

    // The agent asks for its cursor, then ships a circuit opening and its approval request.
    expect((await ship(second.url, token, batch('node-a', null))).status).toBe(200);
    const shipped = await ship(
      second.url,
      token,
      batch(
        'node-a',
        0,
        [
          event(1, 'circuit_opened', { stateFrom: 'cooldown', stateTo: 'circuit_open' }),
          event(2, 'approval_requested'),
        ],
        [view('api', 'circuit_open')],
      ),
    );
    expect(shipped.status).toBe(200);
    const top = () => slack.of('chat.postMessage').filter((c) => !c.args.thread_ts);
    const replies = () => slack.of('chat.postMessage').filter((c) => c.args.thread_ts);
    await slack.waitFor(() => top().length === 1 && replies().length === 1, 10_000);
    const incident = top()[0]!;
    expect(String(incident.args.text)).toContain('node-a/api: circuit opened');
    const controls = (incident.args.blocks as { type: string; elements?: { action_id: string }[] }[]).find(
      (b) => b.type === 'actions',
    );
    expect(controls?.elements?.map((e) => e.action_id)).toEqual([HUB_ACTION.approve, HUB_ACTION.block]);
    // The incident message's ts (the fake's answer) is the thread the note went to.
    const threadTs = replies()[0]!.args.thread_ts;

    const sql = new pg.Client({ connectionString: db });
    await sql.connect();
    try {
      const commands = async () =>
        (await sql.query('SELECT id, operation, args, actor, role FROM fleet_commands ORDER BY id')).rows;
      const approve = { action_id: HUB_ACTION.approve, value: controlValue('node-a', 'api') };

      // Unsigned (wrong secret) → 401; a viewer's click on the follower → refused, told, audited.
      expect(
        await click(second.url, blockActions('U0OPER', approve, slack.responseUrl('x')), {
          secret: 'wrong-secret',
        }),
      ).toBe(401);
      expect(await click(second.url, blockActions('U0VIEW', approve, slack.responseUrl('v1')))).toBe(200);
      await slack.waitFor(() => slack.responded.find((r) => r.id === 'v1'), 5000);
      expect(String(slack.responded.find((r) => r.id === 'v1')!.body.text)).toMatch(/needs role operator/);
      expect(await commands()).toEqual([]);
      const denied = await sql.query("SELECT actor, data FROM hub_events WHERE kind = 'access_denied'");
      expect(denied.rows).toEqual([
        { actor: 'slack:U0VIEW', data: expect.objectContaining({ operation: 'approveRestart', count: 1 }) },
      ]);

      // The leader goes away; the other replica leads and takes the old leader's message.
      await first.close();
      hubs.splice(hubs.indexOf(first), 1);
      await waitFor(() => second.slack?.isLeader(), 10_000, 20);
      expect(await click(second.url, blockActions('U0OPER', approve, slack.responseUrl('o1')))).toBe(200);
      await waitFor(async () => (await commands()).length === 1, 5000, 20);
      const [cmd] = await commands();
      expect(cmd).toMatchObject({ operation: 'approveRestart', actor: 'slack:U0OPER', role: 'operator' });

      // The agent fetches the command with its next batch and answers it with the one after.
      const fetched = await ship(second.url, token, batch('node-a', 2));
      expect(fetched.body.commands?.map((c) => c.id)).toEqual([Number(cmd.id)]);
      const result = {
        id: Number(cmd.id),
        at: Date.now(),
        ok: true,
        type: 'Service',
        code: null,
        message: null,
        state: 'half_open',
      };
      expect((await ship(second.url, token, batch('node-a', 2, [], [], [result]))).status).toBe(200);
      const updated = await slack.waitFor(
        () => slack.of('chat.update').find((c) => String(c.args.text).includes('approved a probe restart')),
        10_000,
      );
      expect(updated.args).toMatchObject({ channel: 'C0FLEET01', ts: threadTs });
      expect(String(updated.args.text)).toContain(
        '<@U0OPER> approved a probe restart: done on *node-a* (now half_open)',
      );

      // Block for 2 h → holdService with that TTL.
      const block = {
        action_id: HUB_ACTION.block,
        selected_option: { value: controlValue('node-a', 'api', 7200) },
      };
      expect(await click(second.url, blockActions('U0OPER', block, slack.responseUrl('o2')))).toBe(200);
      await waitFor(async () => (await commands()).length === 2, 5000, 20);
      expect((await commands())[1]).toMatchObject({ operation: 'holdService', args: { ttlSec: 7200 } });

      // Recovery: answered in the thread, the controls go; still one incident message.
      await ship(
        second.url,
        token,
        batch('node-a', 2, [event(3, 'circuit_closed', { stateFrom: 'half_open', stateTo: 'healthy' })]),
      );
      await slack.waitFor(() => replies().some((r) => String(r.args.text).includes('recovered')), 10_000);
      const closed = await slack.waitFor(
        () =>
          slack
            .of('chat.update')
            .find((c) => !(c.args.blocks as { type: string }[]).some((b) => b.type === 'actions')),
        10_000,
      );
      expect(closed.args.ts).toBe(threadTs);
      expect(top()).toHaveLength(1);

      // Maintenance windows (issue 18): a circuit opened in a window without notify opens no
      // incident; with notify the incident opens and names the window.
      const inWindow = (notify: boolean) => ({
        maintenance: { id: 'contract:db-upgrade', name: 'db-upgrade', mode: 'hold', notify },
      });
      await ship(
        second.url,
        token,
        batch('node-a', 3, [
          event(4, 'circuit_opened', { service: 'worker', data: inWindow(false) }),
          event(5, 'circuit_opened', { service: 'cron', data: inWindow(true) }),
        ]),
      );
      await slack.waitFor(() => top().length === 2, 10_000);
      expect(String(top()[1]!.args.text)).toContain(
        'node-a/cron: circuit opened — automatic restarts stopped. :wrench: During maintenance window db-upgrade (hold): ',
      );
      expect(top().some((m) => String(m.args.text).includes('worker'))).toBe(false);

      // A node gone dark inside a window (the sweep marks node_down, liveness.ts): the same rule.
      const dark = (node: string, notify: boolean) =>
        recordHubEvent(second.database.db, {
          at: Date.now(),
          kind: 'node_down',
          node,
          service: null,
          actor: null,
          data: { silentForMs: 31_000, ...inWindow(notify) },
        });
      await dark('node-quiet', false);
      await dark('node-told', true);
      await slack.waitFor(() => top().length === 3, 10_000);
      expect(String(top()[2]!.args.text)).toContain(
        ':wrench: During maintenance window db-upgrade (hold): medic on *node-told* stopped reporting',
      );
      expect(top().some((m) => String(m.args.text).includes('node-quiet'))).toBe(false);
      // The node's incident carries the runbook's recommended action and a Runbook button to the
      // hub's section for a node gone dark (the leader's URL: no MEDIC_PUBLIC_URL here).
      const told = JSON.stringify(top()[2]!.args.blocks);
      expect(told).toContain('*Recommended:* Check the host: is it up, and is medic running there');
      expect(told).toContain(`"url":"${second.url}/runbook#fleet-node-down"`);
      expect(await (await fetch(`${second.url}/runbook`)).text()).toContain('id="fleet-node-down"');
    } finally {
      await sql.end();
    }
  }, 60_000);
});
