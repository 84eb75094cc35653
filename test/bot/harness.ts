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
import { createSlackBot, type SlackBotHandle } from '../../bot/app.js';
import { graphqlOverFetch } from '../../bot/graphql/transport.js';
import { loadEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/core/policy.js';
import type { Effect } from '../../src/core/types.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine, ServiceConfig } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { DEFAULT_LIMITS } from '../../src/server/limits.js';
import { createApiYoga } from '../../src/server/yoga.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { FAKE_TEAM, FakeSlack } from './fake-slack.js';
import type { Who } from './slack-requests.js';

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
  who(user: string): Who;
  /** Seconds for X-Slack-Request-Timestamp, from the same clock the bot verifies with. */
  nowSec(): number;
  close(): Promise<void>;
}

export async function startHarness(opts: { services?: string[]; postIntervalMs?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-slack-'));
  const clock = new SimulatedClock();
  const store = openStore(join(dir, 'medic.db'), { clock });
  const logger = createLogger('silent');
  const policy = parsePolicy({});
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
    clock,
    logger,
    executor: {
      async execute(service, effect) {
        restarts.push({ service: service.name, effect });
        return { ok: true };
      },
    },
  });
  const yoga = createApiYoga({
    engine,
    store,
    contract: null,
    logger,
    publicUrl: 'https://medic.example.com',
    now: () => clock.now(),
    limits: { ...DEFAULT_LIMITS, maxBodyBytes: 1_000_000, maxBatch: 10 },
  });
  const fake = await new FakeSlack().start();
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
  });
  const bot = createSlackBot({
    env,
    graphql: graphqlOverFetch((url, init, ctx) => yoga.fetch(new URL(url), init, ctx as never)),
    store,
    logger,
    clock,
    postIntervalMs: opts.postIntervalMs ?? 0,
  });
  if (!bot) throw new Error('bot not created');
  const server: Server = createServer((req, res) => {
    const route = bot.routes.find((r) => req.url?.startsWith(r.prefix));
    if (route) route.handle(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await bot.start();
  return {
    store,
    engine,
    clock,
    fake,
    bot,
    url: `http://127.0.0.1:${port}`,
    restarts,
    who: (user) => ({ team: FAKE_TEAM, app: APP_ID, user, channel: CHANNEL }),
    nowSec: () => Math.floor(clock.now() / 1000),
    async close() {
      await bot.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
      await fake.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the circuit of `service` with a fatal exit (EX_CONFIG) through the engine. */
export async function openCircuit(h: Harness, service = 'api'): Promise<void> {
  await h.engine.submit(service, { type: 'exited', code: 78 }, { source: 'process' });
}
