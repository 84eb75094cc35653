/**
 * A whole medic around the bot, offline: real SQLite store on a temp file, the real engine
 * (SimulatedClock, recording executor), the real GraphQL API (in-process yoga.fetch), the bot's
 * routes on a real HTTP server on 127.0.0.1:0, and the fake Slack Web API on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createSlackBot, type SlackBotHandle } from '../../bot/app.js';
import { graphqlOverHttp, graphqlOverYoga } from '../../bot/graphql/transport.js';
import { createApp } from '../../src/api/http/app.js';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { type PolicyInput, parsePolicy } from '../../src/core/policy.js';
import type { Effect } from '../../src/core/types.js';
import { createEngine } from '../../src/engine/engine.js';
import type { BudgetPort, Engine, ServiceConfig } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { FAKE_TEAM, FakeSlack } from './fake-slack.js';
import { type SendOptions, type Sent, sendSigned, type Who } from './slack-requests.js';

export const SECRET = 'whsec-medic-test-signing';
export const CHANNEL = 'C0INCIDENTS';
export const APP_ID = 'A0MEDIC';
export const OPERATOR = 'U0OPERATOR';
export const ADMIN = 'U0ADMIN';
export const VIEWER = 'U0VIEWER';

export interface Harness {
  store: Store;
  engine: Engine;
  clock: SimulatedClock;
  fake: FakeSlack;
  bot: SlackBotHandle;
  url: string;
  restarts: Array<{ service: string; effect: Effect }>;
  /** Log lines at warn and above (JSON). */
  logs: string[];
  /** Stops the bot (as `medic serve` shutting down would); the store, engine and API stay up. */
  stopBot(): Promise<void>;
  /** Starts a new bot on the same store and fake Slack (a `medic serve` restart); sets `bot`. */
  startBot(): Promise<SlackBotHandle>;
  who(user: string): Who;
  /** Seconds for X-Slack-Request-Timestamp, from the same clock the bot verifies with. */
  nowSec(): number;
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    services?: string[];
    postIntervalMs?: number;
    /** chat.update coalescing per parent (default 0 here: every change at once). */
    updateIntervalMs?: number;
    policy?: PolicyInput;
    /** The bot talks to the API over real HTTP with a `bot` token (as against a remote hub). */
    remote?: boolean;
    /** Extra environment for the bot (e.g. SLACK_OPERATOR_GROUPS). */
    env?: Record<string, string>;
    /** Set up the fake Slack before the bot starts (e.g. its user groups). */
    fakeSetup?: (fake: FakeSlack) => void;
    /** The engine's fleet budget port (a hub's answers); absent = no hub. */
    budget?: BudgetPort;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-slack-'));
  const clock = new SimulatedClock();
  const store = openStore(join(dir, 'medic.db'), { clock });
  const logs: string[] = [];
  const logger = createLogger(
    process.env.BOT_LOG ?? 'warn',
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const policy = parsePolicy(opts.policy ?? {});
  if (!policy.ok) throw new Error('default policy invalid');
  const services: ServiceConfig[] = (opts.services ?? ['api', 'worker']).map((name) => ({
    name,
    unit: `${name}.service`,
    policy: policy.value,
  }));
  const restarts: Harness['restarts'] = [];
  const engine = await createEngine({
    store,
    services,
    ...(opts.budget ? { budget: opts.budget } : {}),
    clock,
    logger,
    executor: {
      async execute(service, effect) {
        restarts.push({ service: service.name, effect });
        return { ok: true };
      },
    },
  });
  const fake = await new FakeSlack().start();
  opts.fakeSetup?.(fake);
  const env = loadEnv({
    SLACK_BOT_TOKEN: 'xoxb-medic-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: fake.apiUrl,
    SLACK_TEAM_ID: FAKE_TEAM,
    SLACK_APP_ID: APP_ID,
    SLACK_OPERATORS: OPERATOR,
    SLACK_ADMINS: ADMIN,
    MEDIC_PUBLIC_URL: 'https://medic.example.com',
    ...opts.env,
  });
  let baseUrl = '';
  const remoteToken = opts.remote ? generateToken() : null;
  if (remoteToken) store.createToken('slack-bot', 'bot', hashToken(remoteToken), clock.now());
  const newBot = () => {
    const b = createSlackBot({
      env,
      graphql: remoteToken
        ? graphqlOverHttp(() => `${baseUrl}/graphql`, remoteToken)
        : graphqlOverYoga(() => app.yoga),
      logger,
      clock,
      postIntervalMs: opts.postIntervalMs ?? 0,
      updateIntervalMs: opts.updateIntervalMs ?? 0,
    });
    if (!b) throw new Error('bot not created');
    return b;
  };
  let bot = newBot();
  let botRunning = true;
  // The real API server: createApp mounts the bot's routes next to /graphql (delegating to the
  // current bot, so a restarted bot serves the same URLs).
  const app = createApp({
    engine,
    store,
    logger,
    clock,
    publicUrl: 'https://medic.example.com',
    routes: bot.routes.map((r) => ({
      prefix: r.prefix,
      handle: (req, res) => {
        const current = bot.routes.find((c) => c.prefix === r.prefix);
        if (current) current.handle(req, res);
      },
    })),
  });
  const server: Server = createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  await bot.start();
  return {
    store,
    engine,
    clock,
    fake,
    get bot() {
      return bot;
    },
    url: `http://127.0.0.1:${port}`,
    restarts,
    logs,
    async stopBot() {
      if (botRunning) await bot.stop();
      botRunning = false;
    },
    async startBot() {
      if (botRunning) await bot.stop();
      bot = newBot();
      await bot.start();
      botRunning = true;
      return bot;
    },
    who: (user) => ({ team: FAKE_TEAM, app: APP_ID, user, channel: CHANNEL }),
    nowSec: () => Math.floor(clock.now() / 1000),
    async close() {
      if (botRunning) await bot.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await engine.close();
      await fake.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the bot is quiet: listener work done, every committed event received over the
 * subscription and handled, and everything it caused sent to the fake Slack (repeated until no
 * new event appears, since bot actions commit events of their own).
 */
export async function settle(h: Harness, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const newest = () => h.store.listEvents({ order: 'desc', first: 1 }).events[0]?.id ?? 0;
  for (;;) {
    await h.bot.idle();
    const last = newest();
    while (h.bot.tracker.lastEventId < last) {
      if (performance.now() > deadline)
        throw new Error(`bot saw event ${h.bot.tracker.lastEventId}, store has ${last}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await h.bot.idle();
    if (newest() === last) return;
  }
}

/** Opens the circuit of `service` with a fatal exit (EX_CONFIG) through the engine. */
export async function openCircuit(h: Harness, service = 'api'): Promise<void> {
  await h.engine.submit(service, { type: 'exited', code: 78 }, { source: 'process' });
}

/** Signs and sends a body to the bot's /slack/events as Slack would. */
export function send(
  h: Harness,
  body: string,
  contentType: string,
  extra: Partial<SendOptions> = {},
): Promise<Sent> {
  return sendSigned(`${h.url}/slack/events`, body, contentType, {
    secret: SECRET,
    timestamp: h.nowSec(),
    ...extra,
  });
}

/** The value of the element with `actionId` in the newest parent message (post or update). */
export function buttonValue(h: Harness, actionId: string): string | undefined {
  const parents = h.fake.calls.filter(
    (c) =>
      (c.method === 'chat.postMessage' && !c.args.thread_ts && c.args.blocks) || c.method === 'chat.update',
  );
  const blocks = parents.at(-1)?.args.blocks as
    | Array<{ type: string; elements?: Array<Record<string, unknown>> }>
    | undefined;
  for (const b of blocks ?? []) {
    for (const el of b.elements ?? []) {
      if (el.action_id !== actionId) continue;
      if (typeof el.value === 'string') return el.value;
      const options = el.options as Array<{ value: string }> | undefined;
      if (options) return options[0].value;
    }
  }
  return undefined;
}

export function threadTexts(h: Harness): string[] {
  return h.fake
    .of('chat.postMessage')
    .filter((c) => c.args.thread_ts)
    .map((c) => String(c.args.text));
}

export function lastParent(h: Harness): { text: string; blocks: string } {
  const parents = h.fake.calls.filter(
    (c) =>
      (c.method === 'chat.postMessage' && !c.args.thread_ts && c.args.blocks) || c.method === 'chat.update',
  );
  const last = parents.at(-1);
  return { text: String(last?.args.text ?? ''), blocks: JSON.stringify(last?.args.blocks ?? []) };
}
