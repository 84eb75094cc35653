/**
 * `medic status` wall time for 200 services (a real API on loopback, the CLI as a child
 * process: node start-up, commander, config, one GraphQL query over HTTP, the table), versus
 * `node bin/medic.mjs --version` (start-up alone) in the same run. The first run of each is
 * reported apart (cold file cache); then runs alternate and medians are compared.
 * Goal: `medic status` under 300 ms after the first run. bin/medic.mjs runs dist/ when it is
 * fresh (`npm run build`), the TypeScript sources through tsx otherwise; the mode is printed.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../src/api/http/app.js';
import { generateToken, hashToken } from '../src/api/http/auth.js';
import { SimulatedClock } from '../src/clock/clock.js';
import { DEFAULT_POLICY } from '../src/core/policy.js';
import { createEngine } from '../src/engine/engine.js';
import { createLogger } from '../src/log.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { openStore } from '../src/store/sqlite.js';
import { ensureDist } from './dist.js';
import { report } from './report.js';

const run = promisify(execFile);
const SERVICES = 200;
const ROUNDS = 15;
const BIN = join(PACKAGE_ROOT, 'bin', 'medic.mjs');

async function wall(args: string[], env: Record<string, string>): Promise<number> {
  const start = performance.now();
  const { stdout } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  const ms = performance.now() - start;
  if (!stdout) throw new Error(`medic ${args.join(' ')} printed nothing`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runBench(): Promise<void> {
  const clock = new SimulatedClock();
  const store = openStore(':memory:', { clock });
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    name: `svc${String(i).padStart(3, '0')}`,
    unit: `svc${String(i).padStart(3, '0')}.service`,
    policy: DEFAULT_POLICY,
  }));
  const logger = createLogger('silent');
  const engine = await createEngine({
    store,
    services,
    executor: { execute: async () => ({ ok: true }) },
    clock,
    logger,
  });
  const token = generateToken();
  store.createToken('bench', 'viewer', hashToken(token), clock.now());
  const app = createApp({ engine, store, logger, clock, publicUrl: 'http://medic.bench' });
  const server = createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = { MEDIC_URL: url, MEDIC_TOKEN: token, NO_COLOR: '1' };
  console.log(`  bin mode: ${ensureDist()}`);
  try {
    const firstVersion = await wall(['--version'], env);
    const firstStatus = await wall(['status'], env);
    const version: number[] = [];
    const status: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      version.push(await wall(['--version'], env));
      status.push(await wall(['status'], env));
    }
    report({
      bench: 'cli',
      metric: 'first run: medic status (200 services)',
      value: firstStatus,
      unit: 'ms',
      baseline: { name: 'first --version', value: firstVersion },
    });
    report({
      bench: 'cli',
      metric: `medic status, 200 services (median of ${ROUNDS})`,
      value: median(status),
      unit: 'ms',
      baseline: { name: 'medic --version', value: median(version) },
      goal: '< 300 ms',
    });
    report({
      bench: 'cli',
      metric: 'status minus --version (the work itself)',
      value: median(status) - median(version),
      unit: 'ms',
    });
  } finally {
    server.closeAllConnections();
    server.close();
    await app.close();
    await engine.close();
    store.close();
  }
}

export { runBench as run };
