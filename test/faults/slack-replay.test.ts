/**
 * Issue 11, defect 1: a signed Slack request replayed after `medic serve` restarted must not run
 * again. A real serve (process backend, Slack configured against the fake Web API) is sent
 * `/medic approve api …`; it is stopped and started again on the same database; the exact same
 * request (same body, timestamp and signature, inside the ±300 s window) is then replayed, and a
 * Slack retry of it (re-signed, `x-slack-retry-num: 1`) too. Neither may approve a second
 * restart; the replay's reply says it was already handled.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALREADY_HANDLED } from '../../bot/receiver.js';
import { FAKE_TEAM, FakeSlack } from '../bot/fake-slack.js';
import { FORM, sendSigned, slashCommand } from '../bot/slack-requests.js';
import { tempDir, writeContract } from '../watchdog/helpers.js';
import { type Served, startServe, stopServe, storedEvents, until } from './helpers.js';

const SECRET = 'whsec-replay-test';
const OPERATOR = 'U0OPERATOR';
const APP = 'A0MEDIC';

describe('Slack replay protection survives a restart of medic serve', () => {
  const dir = tempDir('replay');
  const db = join(dir, 'medic.db');
  let fake: FakeSlack;
  let contract: string;
  let env: Record<string, string>;
  const servers: Served[] = [];

  beforeAll(async () => {
    fake = await new FakeSlack().start();
    contract = writeContract({
      dir,
      kind: 'process',
      // Exit 78 (EX_CONFIG) is fatal: the circuit opens at once and asks for an approval.
      services: [
        { name: 'api', unit: 'replay-api.service', command: ['python', '-c', 'import sys; sys.exit(78)'] },
      ],
    });
    env = {
      MEDIC_DB: db,
      SLACK_BOT_TOKEN: 'xoxb-replay',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CHANNEL: 'C0INCIDENTS',
      SLACK_API_URL: fake.apiUrl,
      SLACK_TEAM_ID: FAKE_TEAM,
      SLACK_APP_ID: APP,
      SLACK_OPERATORS: OPERATOR,
      MEDIC_DRIFT_INTERVAL_SEC: '3600',
    };
  });
  afterAll(async () => {
    for (const s of servers) await stopServe(s, 'SIGKILL');
    await fake.close();
  });

  const approvals = () => storedEvents(db).filter((e) => e.input?.type === 'approve');
  const circuitOpen = () => storedEvents(db).filter((e) => e.kind === 'circuit_opened').length;

  it('a replayed or retried /medic approve after a restart is acknowledged as already handled and runs nothing', async () => {
    const first = await startServe(contract, env);
    servers.push(first);
    await until('the circuit to open', () => circuitOpen() >= 1);
    const body = slashCommand(
      { team: FAKE_TEAM, app: APP, user: OPERATOR, channel: 'C0INCIDENTS' },
      'approve api replay test',
      fake.responseUrl('r1'),
    );
    const timestamp = Math.floor(Date.now() / 1000);
    const sent = await sendSigned(`${first.url}/slack/events`, body, FORM, { secret: SECRET, timestamp });
    expect(sent.status).toBe(200);
    await until('the approval to be recorded', () => approvals().length === 1);
    // The approved probe restart exits 78 again: the circuit re-opens and would accept another approval.
    await until('the circuit to re-open', () => circuitOpen() >= 2);
    await stopServe(first);
    const second = await startServe(contract, env);
    servers.push(second);
    const replay = await sendSigned(`${second.url}/slack/events`, body, FORM, { secret: SECRET, timestamp });
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.text)).toMatchObject({ response_type: 'ephemeral', text: ALREADY_HANDLED });
    // Slack's own retry: re-signed with a new timestamp, same trigger.
    const retry = await sendSigned(`${second.url}/slack/events`, body, FORM, {
      secret: SECRET,
      timestamp: timestamp + 1,
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    expect(retry.text).toContain('Already handled');

    await new Promise((r) => setTimeout(r, 1500));
    expect(approvals()).toHaveLength(1);
    expect(second.output()).toContain('not processed again');
  }, 60_000);
});
