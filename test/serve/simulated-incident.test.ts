/**
 * One incident end to end in simulated time (issue 10, "one clock"). `medic serve` — the real
 * composition root, with the process backend running a real child — runs on a SimulatedClock:
 *
 *   the service crashes (exit 78) → decide() opens the circuit → one commit → the recoveryEvents
 *   GraphQL subscription → the bot posts the incident to the Slack Web API (a fake on loopback)
 *   → an operator clicks Approve (a real signed request to medic's /slack/events) →
 *   restart_approved → the process backend starts the service again.
 *
 * Nothing waits on real time: every await is I/O (HTTP, the child process, the engine's commit),
 * and every delay medic has — Slack post spacing, the coalesced chat.update, the circuit's open
 * period — is simulated time that only the test moves. The circuit stays open for an hour of
 * simulated time, so the restart can only be the approved one.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { createLogger } from '../../src/log.js';
import { type RunningServe, startServe } from '../../src/serve/serve.js';
import { FAKE_TEAM, FakeSlack } from '../bot/fake-slack.js';
import { blockActions, FORM, sendSigned } from '../bot/slack-requests.js';
import { logCapture, tempDir, writeContract } from '../watchdog/helpers.js';

const SECRET = 'whsec-medic-simulated-e2e';
const CHANNEL = 'C0INCIDENTS';
const APP_ID = 'A0MEDIC';
const OPERATOR = 'U0OPERATOR';
const HOUR_SEC = 3600;

/** Resolves with the first committed event that matches (the engine's bus: no polling). */
function nextEvent(server: RunningServe, match: (e: AuditEvent) => boolean): Promise<AuditEvent> {
  return new Promise((resolve) => {
    const stop = server.engine.subscribe((e) => {
      if (!match(e)) return;
      stop();
      resolve(e);
    });
  });
}

describe('an incident in simulated time', () => {
  const dir = tempDir('simulated-e2e');
  const marker = join(dir, 'crashed-once');
  const started = join(dir, 'started');
  let fake: FakeSlack;
  let server: RunningServe | null = null;
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 9, 0));
  afterAll(async () => {
    if (server) {
      await drainSlack(server, clock, fake);
      await server.close();
    }
    await fake?.close();
  });

  it('goes crash → decision → commit → subscription → Slack → Approve click → restart without a real sleep', async () => {
    // The service: exits 78 (EX_CONFIG) at its first start, runs at the next one.
    const service = [
      'import os, sys, time',
      `m = ${JSON.stringify(marker)}`,
      'first = not os.path.exists(m)',
      'open(m, "a").close()',
      'sys.exit(78) if first else None',
      `open(${JSON.stringify(started)}, "a").close()`,
      'time.sleep(600)',
    ].join('; ');
    const contract = writeContract({
      dir,
      kind: 'process',
      services: [
        {
          name: 'api',
          unit: 'api.service',
          command: ['python', '-c', service],
          policy: {
            failureThreshold: 1,
            startupGraceSec: 30,
            cooldownSec: 10,
            maxRestarts: 3,
            windowSec: 600,
            backoff: { initialSec: 10, factor: 2, maxSec: 60 },
            stableSec: 60,
            circuit: { openSec: HOUR_SEC, maxOpenSec: 2 * HOUR_SEC, hardStop: true },
          },
        },
      ],
    });
    fake = await new FakeSlack().start();
    const env = loadEnv({
      MEDIC_DB: join(dir, 'medic.db'),
      MEDIC_PORT: '0',
      MEDIC_HOST: '127.0.0.1',
      PATH: process.env.PATH,
      MEDIC_DRIFT_INTERVAL_SEC: String(HOUR_SEC),
      SLACK_BOT_TOKEN: 'xoxb-medic-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CHANNEL: CHANNEL,
      SLACK_API_URL: fake.apiUrl,
      SLACK_TEAM_ID: FAKE_TEAM,
      SLACK_APP_ID: APP_ID,
      SLACK_OPERATORS: OPERATOR,
      MEDIC_PUBLIC_URL: 'https://medic.example.com',
    });
    const { stream } = logCapture();
    const t0 = clock.now();
    server = await startServe({ env, contractPath: contract, logger: createLogger('info', stream), clock });

    // crash → decision → commit: the circuit opened at simulated t0, from the exit (committed
    // during start-up or just after it).
    const circuit =
      server.store.listEvents({ service: 'api', kinds: ['circuit_opened'] }).events.at(0) ??
      (await nextEvent(server, (e) => e.kind === 'circuit_opened'));
    expect(circuit.input).toEqual({ type: 'exited', code: 78 });
    expect(circuit.at).toBe(t0);

    // → subscription → Slack: the incident message with the Approve button.
    const approveId = await fake.waitFor(() => buttonValue(fake, 'medic_approve'));
    expect(approveId).toBeTruthy();

    // Ten simulated minutes later, an operator clicks Approve (signed with the clock the bot
    // verifies against: a real-time signature would be ten minutes stale).
    clock.advance(10 * 60_000);
    const clicked = clock.now();
    const restarted = nextEvent(server, (e) => e.decision === 'restart_approved');
    const executed = nextEvent(server, (e) => e.input?.type === 'restart_succeeded');
    const sent = await sendSigned(
      `${server.url}/slack/events`,
      blockActions(
        { team: FAKE_TEAM, app: APP_ID, user: OPERATOR, channel: CHANNEL },
        { actionId: 'medic_approve', value: approveId, responseUrl: fake.responseUrl('op') },
      ),
      FORM,
      { secret: SECRET, timestamp: Math.floor(clicked / 1000) },
    );
    expect(sent.status).toBe(200);

    // → restart: decided at the click's simulated time, executed by the process backend.
    const approved = await restarted;
    expect(approved.at).toBe(clicked);
    expect(approved.actor).toBe(`slack:${OPERATOR}`);
    expect(approved.effects).toEqual([{ type: 'restart', initiator: 'approved', probe: true }]);
    const outcome = await executed;
    expect(outcome.at).toBe(clicked);
    expect(server.watchdog.monitor()?.status('api.service')?.activeState).toBe('active');

    // Slack says so: the thread notes (spaced 1 s apart) and the parent, whose update is
    // coalesced to one per 10 s — both in simulated time.
    await drainSlack(server, clock, fake);
    clock.advance(10_000);
    await drainSlack(server, clock, fake);
    const parent = fake.of('chat.update').at(-1);
    expect(JSON.stringify(parent?.args.blocks)).toMatch(new RegExp(`Approved by <@${OPERATOR}>`));
    expect(JSON.stringify(parent?.args.blocks)).not.toContain('medic_approve');
    expect(threadTexts(fake).join('\n')).toMatch(/Restart executed/);
    // Simulated time moved 10 minutes and a few seconds; the circuit's hour never passed, so
    // the approved restart is the only one.
    expect(
      server.store.listEvents({ service: 'api', kinds: ['restart_decided'] }).events.map((e) => e.decision),
    ).toEqual(['restart_approved']);
  });
});

/**
 * Lets the bot finish what it queued. Its work waits on I/O or on simulated time (the 1 s
 * spacing between posts to a channel), so each round moves the clock one second and then
 * awaits whichever comes first: the bot idle, or the next call reaching the fake Slack.
 */
async function drainSlack(server: RunningServe, clock: SimulatedClock, fake: FakeSlack): Promise<void> {
  for (let round = 0; round < 100; round++) {
    let idle = false;
    const done = server.slack!.idle().then(() => {
      idle = true;
    });
    const call = fake.nextCall();
    clock.advance(1000);
    await Promise.race([done, call]);
    if (idle) return;
  }
  throw new Error('the bot did not go idle');
}

function threadTexts(fake: FakeSlack): string[] {
  return fake
    .of('chat.postMessage')
    .filter((c) => c.args.thread_ts)
    .map((c) => String(c.args.text));
}

/** The value of the element with `actionId` in the newest parent message (post or update). */
function buttonValue(fake: FakeSlack, actionId: string): string | undefined {
  const parents = fake.calls.filter(
    (c) =>
      (c.method === 'chat.postMessage' && !c.args.thread_ts && c.args.blocks) || c.method === 'chat.update',
  );
  const blocks = parents.at(-1)?.args.blocks as
    | Array<{ type: string; elements?: Array<Record<string, unknown>> }>
    | undefined;
  for (const b of blocks ?? []) {
    for (const el of b.elements ?? [])
      if (el.action_id === actionId && typeof el.value === 'string') return el.value;
  }
  return undefined;
}
