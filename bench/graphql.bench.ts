/**
 * GraphQL throughput: autocannon on the `services` query (200 services, the fields a dashboard
 * or the Slack bot reads) against medic's real HTTP handler (auth, limits, engine views,
 * projection), versus two bare graphql-yoga servers on node:http in the same run:
 * - a hello-world (`{ hello }`): the floor of yoga + HTTP; goal for the cached path ≥ 0.6×,
 *   p99 ≤ 2×;
 * - "static": the same SDL (schema/schema.graphql) answering the same query with the same
 *   200-service payload from static objects (default resolvers only) — the best graphql-js can do
 *   for this response; goal for the uncached path ≥ 0.8×.
 */

import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { createApp } from '../src/api/http/app.js';
import { generateToken, hashToken } from '../src/api/http/auth.js';
import { SimulatedClock } from '../src/clock/clock.js';
import { DEFAULT_POLICY } from '../src/core/policy.js';
import { projectService } from '../src/core/status.js';
import { createEngine } from '../src/engine/engine.js';
import type { Executor } from '../src/engine/types.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/sqlite.js';
import { report } from './report.js';

// autocannon ships no types; this is the slice of its API used here.
interface CannonResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

const SERVICES = 200;
const ROUNDS = 4;
const ROUND_SEC = 2;

interface Run {
  rps: number;
  p99: number;
}
/** Mean req/s and worst p99 over the rounds. */
const combine = (runs: Run[]): Run => ({
  rps: runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
  p99: Math.max(...runs.map((r) => r.p99)),
});
const CONNECTIONS = 10;
const WORKERS = Number(process.env.MEDIC_BENCH_CANNON_WORKERS ?? 0);

const SERVICES_QUERY = `{ services { name unit state mode approvalPending
  churn { restartsInWindow maxRestarts windowSec totalRestarts blockedAttempts }
  cooldown { active until } circuit { state openedAt reopensAt } hold { actor until }
  recommendedAction { code summary command runbookUrl } lastDecision { decision at actor } } }`;

async function listen(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function load(
  url: string,
  body: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Run> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    // MEDIC_BENCH_CANNON_WORKERS=1 puts the load generator in its own thread (parsing 100 kB
    // answers on the servers' event loop charges the client's work to every server alike); on a
    // loaded 2-core machine the extra thread competes with the servers, so the default is 0.
    ...(WORKERS > 0 ? { workers: WORKERS } : {}),
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

export async function run(): Promise<void> {
  const clock = new SimulatedClock();
  const store = openStore(':memory:', { clock });
  const logger = createLogger('silent');
  const executor: Executor = { execute: async () => ({ ok: true }) };
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    name: `svc${i}`,
    unit: `svc${i}.service`,
    policy: DEFAULT_POLICY,
  }));
  const engine = await createEngine({ store, services, executor, clock, logger });
  // Some variety in the views: open circuits, holds, restarts.
  for (let i = 0; i < SERVICES; i += 10) await engine.submit(`svc${i}`, { type: 'exited', code: 78 });
  for (let i = 5; i < SERVICES; i += 10) {
    await engine.submit(`svc${i}`, { type: 'hold', ttlSec: 3600, actor: 'bench', reason: 'bench' });
  }
  await engine.idle();
  const token = generateToken();
  store.createToken('bench', 'viewer', hashToken(token), clock.now());
  const app = createApp({ engine, store, logger, clock, publicUrl: 'http://medic.bench' });
  const medic = await listen(app.handler);
  // The same API with the read cache off: every request executes all 200 services' fields.
  const cold = createApp({ engine, store, logger, clock, publicUrl: 'http://medic.bench', readCache: false });
  const uncached = await listen(cold.handler);
  // …and with the reference executor instead of compiled queries (the uncached path before graphql-jit).
  const interp = createApp({
    engine,
    store,
    logger,
    clock,
    publicUrl: 'http://medic.bench',
    readCache: false,
    compiledQueries: false,
  });
  const interpreted = await listen(interp.handler);

  const hello = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { hello: String! }',
      resolvers: { Query: { hello: () => 'world' } },
    }),
    logging: false,
  });
  const bare = await listen(hello);
  // The same response from static objects: medic's SDL, no resolvers but Query.services.
  const payload = engine.views().map((v) => projectService(v, 'http://medic.bench'));
  const sdl = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
  const staticYoga = createYoga({
    schema: createSchema({ typeDefs: sdl, resolvers: { Query: { services: () => payload } } }),
    logging: false,
  });
  const stat = await listen(staticYoga);

  const medicBody = JSON.stringify({ query: SERVICES_QUERY });
  const helloBody = JSON.stringify({ query: '{ hello }' });
  const auth = { authorization: `Bearer ${token}` };
  try {
    // Warm up both (JIT, caches), then measure in interleaved rounds so that load from other
    // processes on the machine hits subject and baseline alike.
    await load(`${medic.url}/graphql`, medicBody, auth, 1);
    await load(`${bare.url}/graphql`, helloBody, {}, 1);
    await load(`${stat.url}/graphql`, medicBody, {}, 1);
    await load(`${uncached.url}/graphql`, medicBody, auth, 1);
    // The responses agree (the static server is a fair stand-in).
    const [a, b] = await Promise.all(
      [`${stat.url}/graphql`, `${uncached.url}/graphql`].map((u) =>
        fetch(u, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: medicBody,
        }).then((r) => r.text()),
      ),
    );
    if (a !== b) throw new Error('static baseline and medic answer the services query differently');
    const runs = {
      base: [] as Run[],
      subject: [] as Run[],
      cold: [] as Run[],
      stat: [] as Run[],
      interp: [] as Run[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      runs.base.push(await load(`${bare.url}/graphql`, helloBody, {}, ROUND_SEC));
      runs.subject.push(await load(`${medic.url}/graphql`, medicBody, auth, ROUND_SEC));
      runs.stat.push(await load(`${stat.url}/graphql`, medicBody, {}, ROUND_SEC));
      runs.cold.push(await load(`${uncached.url}/graphql`, medicBody, auth, ROUND_SEC));
      runs.interp.push(await load(`${interpreted.url}/graphql`, medicBody, auth, ROUND_SEC));
    }
    const base = combine(runs.base);
    const subject = combine(runs.subject);
    const coldRun = combine(runs.cold);
    const statRun = combine(runs.stat);
    const interpRun = combine(runs.interp);
    const baseline = { name: 'yoga hello-world', value: base.rps };
    report({
      bench: 'graphql',
      metric: `services query, ${SERVICES} services (req/s)`,
      value: subject.rps,
      unit: 'req/s',
      baseline,
      goal: '≥ 0.6x',
    });
    report({
      bench: 'graphql',
      metric: `services query, read cache off (req/s)`,
      value: coldRun.rps,
      unit: 'req/s',
      baseline: { name: 'yoga static payload, same SDL', value: statRun.rps },
      goal: '≥ 0.8x',
    });
    report({
      bench: 'graphql',
      metric: `read cache off: compiled vs reference executor`,
      value: coldRun.rps,
      unit: 'req/s',
      baseline: { name: 'reference executor (before)', value: interpRun.rps },
      goal: '≥ 3x',
    });
    report({
      bench: 'graphql',
      metric: `services query, read cache off (req/s) vs hello`,
      value: coldRun.rps,
      unit: 'req/s',
      baseline,
    });
    report({
      bench: 'graphql',
      metric: `yoga static payload (req/s) vs hello`,
      value: statRun.rps,
      unit: 'req/s',
      baseline,
    });
    report({
      bench: 'graphql',
      metric: `services query p99, read cache off`,
      value: coldRun.p99,
      unit: 'ms',
      baseline: { name: 'yoga static payload', value: statRun.p99 },
    });
    report({
      bench: 'graphql',
      metric: `services query p99 latency (${CONNECTIONS} conns)`,
      value: subject.p99,
      unit: 'ms',
      baseline: { name: 'yoga hello-world', value: base.p99 },
      goal: '≤ 2x',
    });
  } finally {
    await new Promise((r) => medic.server.close(r));
    await new Promise((r) => bare.server.close(r));
    await new Promise((r) => uncached.server.close(r));
    await new Promise((r) => stat.server.close(r));
    await new Promise((r) => interpreted.server.close(r));
    await interp.close();
    await cold.close();
    await app.close();
    await engine.close();
    store.close();
  }
}
