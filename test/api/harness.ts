/**
 * A real medic API for tests: in-memory SQLite store, the real engine on a SimulatedClock, and an
 * executor that records the effects it is asked to carry out (the edge to systemd). One token per
 * role. `gql(role, query, variables)` goes through `app.fetch` exactly like an HTTP client.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type App, type AppDeps, createApp } from '../../src/api/http/app.js';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import { SimulatedClock } from '../../src/clock/clock.js';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import type { TokenRole } from '../../src/core/roles.js';
import type { Effect } from '../../src/core/types.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine, ExecResult, Executor, ServiceConfig } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';

export const PUBLIC_URL = 'http://medic.test:4000';

export class RecordingExecutor implements Executor {
  readonly calls: { service: string; effect: Effect }[] = [];
  async execute(service: ServiceConfig, effect: Effect): Promise<ExecResult> {
    this.calls.push({ service: service.name, effect });
    return { ok: true };
  }
}

export interface Harness {
  app: App;
  engine: Engine;
  store: Store;
  clock: SimulatedClock;
  executor: RecordingExecutor;
  tokens: Record<TokenRole, string>;
  logs: string[];
  gql<T = Record<string, unknown>>(
    role: TokenRole | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    status: number;
    body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  }>;
  close(): Promise<void>;
}

export function serviceConfigs(n: number, policy: Policy = DEFAULT_POLICY): ServiceConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `svc${String(i).padStart(3, '0')}`,
    unit: `svc${String(i).padStart(3, '0')}.service`,
    policy,
  }));
}

export async function startHarness(
  opts: {
    services?: ServiceConfig[];
    /** Extra createApp deps, or a function of the engine/store/clock built here. */
    deps?:
      | Partial<AppDeps>
      | ((parts: { engine: Engine; store: Store; clock: SimulatedClock }) => Partial<AppDeps>);
  } = {},
): Promise<Harness> {
  const clock = new SimulatedClock();
  const store = openStore(':memory:', { clock });
  const executor = new RecordingExecutor();
  const logs: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const services = opts.services ?? [
    { name: 'api', unit: 'api.service', policy: DEFAULT_POLICY },
    { name: 'worker', unit: 'worker.service', policy: DEFAULT_POLICY },
  ];
  const engine = await createEngine({ store, services, executor, clock, logger });
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = generateToken();
    store.createToken(`${role}-token`, role, hashToken(tokens[role]), clock.now());
  }
  const extra = typeof opts.deps === 'function' ? opts.deps({ engine, store, clock }) : opts.deps;
  const app = createApp({ engine, store, logger, clock, publicUrl: PUBLIC_URL, ...extra });
  return {
    app,
    engine,
    store,
    clock,
    executor,
    tokens,
    logs,
    async gql(role, query, variables) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (role) headers.authorization = `Bearer ${tokens[role]}`;
      const res = await app.fetch(
        new Request('http://medic.test/graphql', {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables }),
        }),
      );
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await app.close();
      await engine.close();
      store.close();
    },
  };
}

/** Listens on 127.0.0.1, port 0; returns the base URL and a close function. */
export async function listen(app: App): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(app.handler);
  server.on('upgrade', app.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
